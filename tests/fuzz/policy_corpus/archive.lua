-- Keep a copy of everything sent to the sales team in an archive mailbox, and mark large
-- messages so recipients' filters can sort them.

function onMailFrom(ctx)
  ctx.vars.archive = nil -- ctx.vars last for the whole session: start each transaction afresh
end

function onRcptTo(ctx)
  if ctx.rcpt_domain == "example.org" and ctx.rcpt:find("^sales[%w%-]*@") then
    ctx.vars.archive = true
  end
end

function onDataReceived(ctx)
  if ctx.vars.archive then addRecipient("archive@example.org") end
  if ctx.size > 10 * 1024 * 1024 then
    addHeader("X-Large-Message", string.format("%.1f MiB", ctx.size / 1048576))
  end
end

--@@
From: a@b.example
Subject: hi

body
