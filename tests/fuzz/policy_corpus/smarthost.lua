-- Outgoing routes and bounce texts: deliver partner.example through its smart host over
-- required TLS, hold mail for a domain under maintenance, and explain failures in the NDR.

local routes = {
  ["partner.example"] = { host = "relay.partner.example", port = 2525, tls = "required" },
}
local on_hold = { ["maintenance.example"] = true }

function onRelay(ctx)
  local domain = ctx.delivery.domain
  local route = routes[domain]
  if route then
    setRelay(route.host, route.port, route.tls)
  elseif on_hold[domain] then
    tempfail(451, "4.4.5 Deliveries to " .. domain .. " are paused")
  end
end

function onDeliveryFailure(ctx)
  local d = ctx.delivery
  setNdrText("Your message could not be delivered to " .. table.concat(d.recipients, ", ") ..
    ".\n\nThe server " .. (d.host or d.domain) .. " answered: " .. (d.reply or "nothing") ..
    "\n\nIf you need help, write to postmaster@example.org.")
end

function onTemporaryDeliveryFailure(ctx)
  -- no "delayed" notices for the first day: most delays resolve themselves
  if ctx.delivery.queued_for < 24 * 3600 then discard() end
end

--@@
From: a@b.example
Subject: hi

body
