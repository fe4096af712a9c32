-- Tell recipients who sent a message: authenticated submissions get an X-Authenticated-User
-- header; the same header arriving from outside is removed so nobody can forge it.

function onDataReceived(ctx)
  removeHeader("X-Authenticated-User")
  if ctx.auth_user then
    addHeader("X-Authenticated-User", ctx.auth_user)
  end
end

--@@
From: a@b.example
Subject: hi

body
