-- Sender domains: refuse mail from listed domains at MAIL FROM, and accept trusted partners
-- with a custom reply (accept() also skips the server's reputation checks for the transaction).

local blocked = {
  ["spam.example"] = "5.7.1 Mail from spam.example is not accepted here",
  ["phish.example"] = "5.7.1 Known phishing source",
}
local trusted = { ["partner.example"] = true }

function onMailFrom(ctx)
  local domain = ctx.from_domain
  if domain == "" then
    return -- the null sender (bounces) is never refused by domain
  end
  local why = blocked[domain]
  if why then
    log("refusing sender domain", domain)
    reject(550, why)
  elseif trusted[domain] then
    accept("Emails accepted from domain " .. domain)
  end
end

--@@
From: a@b.example
Subject: hi

body
