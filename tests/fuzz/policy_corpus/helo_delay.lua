-- Greylist-like delay for clients with an unknown HELO: a client that is not authenticated,
-- has no reverse DNS name and greets with something that is not a domain name gets a temporary
-- failure at RCPT until it retries after DELAY seconds. Real mail servers retry; many spam bots
-- do not.
--
-- The "first seen" table lives in the interpreter (one per concurrent call, see [policy] states)
-- and is lost on reload, so a client may be delayed once per interpreter: a delay, never a loss.

local DELAY = 300          -- seconds before a retry is accepted
local MAX_ENTRIES = 10000  -- bounded memory: the table is emptied when it grows past this
local first_seen, entries = {}, 0

local function unknown_helo(ctx)
  local helo = ctx.helo or ""
  if ctx.auth_user or ctx.rdns then return false end
  -- a domain name has a dot and only letters, digits, hyphens and dots
  return not helo:find("%.") or helo:find("[^%w%.%-]") ~= nil
end

function onRcptTo(ctx)
  if not unknown_helo(ctx) then return end
  local key = ctx.ip .. "|" .. (ctx.helo or "") .. "|" .. (ctx.from or "") .. "|" .. ctx.rcpt
  local seen = first_seen[key]
  if seen == nil then
    if entries >= MAX_ENTRIES then first_seen, entries = {}, 0 end
    first_seen[key], entries = ctx.now, entries + 1
    tempfail(451, "4.7.1 Greylisted, please try again later")
  elseif ctx.now - seen < DELAY then
    tempfail(451, "4.7.1 Greylisted, please try again later")
  end
end

--@@
From: a@b.example
Subject: hi

body
