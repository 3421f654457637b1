-- create.lua -- the Lua peer of TICKET.CREATE: the same writes, done by a
-- server-side script (EVALSHA), the best a plain Redis can do without a module.
--
-- EVALSHA sha 0 desk subject body uid priority category urgency
--
-- Writes (as module/ticket.c cmdTicketCreate does): the id counter, the
-- ticket hash with the same fields, the log entry, the priority, SLA and
-- routing queues (and the routing queue's creation-order twin), the
-- customer's ticket set, two D:stats counters and a `created` event capped
-- like events-maxlen. What it cannot do is classify the text: category,
-- priority and urgency come from the caller.
-- Keys are built from the desk name (like the module does); fine outside
-- cluster mode, which is all this benchmark uses.
local d, subject, body, uid = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local prio, cat, urgency = tonumber(ARGV[5]), ARGV[6], ARGV[7]

if uid ~= '' and redis.call('EXISTS', d .. ':user:' .. uid) == 0 then
    return redis.error_reply('NOTFOUND customer ' .. uid .. ' does not exist')
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- The desk's default SLA targets: the highest priority not above `prio`.
local sla = 259200
if prio >= 20 then sla = 3600 elseif prio >= 10 then sla = 14400
elseif prio >= 5 then sla = 86400 end
local nows = string.format('%d', now)
local due = string.format('%d', now + sla * 1000)
local ps = string.format('%d', prio)

local id = redis.call('INCR', d .. ':seq:tickets')
local member = 'ticket:' .. id
local key = d .. ':ticket:' .. id
local fields = { key }
if uid ~= '' then fields[#fields + 1] = 'user_id'; fields[#fields + 1] = uid end
for _, fv in ipairs({ { 'subject', subject }, { 'body', body }, { 'status', 'open' },
                      { 'priority', ps }, { 'category', cat }, { 'urgency', urgency },
                      { 'created_at', nows }, { 'updated_at', nows },
                      { 'sla_due_at', due }, { 'version', '1' } }) do
    fields[#fields + 1] = fv[1]; fields[#fields + 1] = fv[2]
end
redis.call('HSET', unpack(fields))
redis.call('RPUSH', key .. ':log',
           nows .. ': created (priority ' .. ps .. ', category ' .. cat .. ')')
redis.call('ZADD', d .. ':queue:priority', ps, member)
redis.call('ZADD', d .. ':queue:sla', due, member)
-- Routing score as queue.c: priority band in the high bits, id in the low 40.
redis.call('ZADD', d .. ':queue:unassigned:' .. cat,
           string.format('%.17g', (1000 - prio) * 1099511627776 + id), member)
-- Its creation-order twin (TICKET.CLAIM ... ORDER CREATED), scored by id.
redis.call('ZADD', d .. ':queue:created:' .. cat, id, member)
if uid ~= '' then redis.call('SADD', d .. ':user:' .. uid .. ':tickets', member) end
redis.call('HINCRBY', d .. ':stats', 'status:open', 1)
redis.call('HINCRBY', d .. ':stats', 'category:' .. cat, 1)
redis.call('XADD', d .. ':events', 'MAXLEN', '~', '100000', '*', 'type', 'created',
           'ticket', id, 'at', nows, 'priority', ps, 'category', cat)
return id
