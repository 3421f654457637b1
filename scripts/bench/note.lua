-- note.lua -- the Lua peer of TICKET.NOTE: the log entry and the `note` event.
--
-- EVALSHA sha 0 desk tid text
local d, tid, text = ARGV[1], ARGV[2], ARGV[3]
local key = d .. ':ticket:' .. tid
if redis.call('EXISTS', key) == 0 then
    return redis.error_reply('NOTFOUND ticket ' .. tid .. ' does not exist')
end
local t = redis.call('TIME')
local nows = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
redis.call('RPUSH', key .. ':log', nows .. ': note: ' .. text)
redis.call('XADD', d .. ':events', 'MAXLEN', '~', '100000', '*', 'type', 'note',
           'ticket', tid, 'at', nows, 'text', text)
return redis.status_reply('OK')
