# Chat and session state under replication and AOF persistence: the effects
# replicated (XADD with explicit ids, exact XTRIM, HSET of the dumped JSON,
# PEXPIREAT with an absolute time) give a replica the master's digest, and
# replaying the AOF (DEBUG LOADAOF, a restart) gives back the same data,
# expiry times included.
# Run by tcl-tests/run; [list ...] so that $::env(...) is expanded.
set helpdesk_so $::env(HELPDESK_SO)

# "Grüße 你好 🎉" as UTF-8 bytes (the test client sends a string's chars as bytes).
set ::cs_uni "Gr\xc3\xbc\xc3\x9fe \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x8e\x89"

# Chat and state traffic on desk `cs`: tickets 1..3, messages (with unicode,
# enough to trim the capped threads), every state command.
proc cs_traffic {c} {
    $c desk.config SET cs chat-maxlen 10
    for {set t 1} {$t <= 3} {incr t} {
        $c ticket.create cs "subject $t" CATEGORY billing PRIORITY 5
        for {set i 0} {$i < 25} {incr i} {
            $c ticket.msg cs $t customer:$t "message $i $::cs_uni"
        }
        $c ticket.state.set cs $t "{\"facts\":{\"t\":$t,\"p\":0.1},\"history\":\[\"start\"\]}"
        $c ticket.state.merge cs $t "{\"p\":null,\"nested\":{\"k\":\[1,2,3\]},\"uni\":\"$::cs_uni\"}"
        $c ticket.state.append cs $t {{"role":"assistant","content":"hello"}}
        $c ticket.state.append cs $t "plain text"
        $c ticket.state.decide cs $t {{"action":"refund","amount":19.99}}
        $c ticket.state.get cs $t
    }
    $c ticket.close cs 2
    $c ticket.msg cs 2 agent:A1 "closed but still talking"
    $c ticket.state.del cs 3
}

start_server [list tags {"helpdesk"} \
                  overrides [list loadmodule $helpdesk_so appendonly yes appendfsync always]] {

    test {state and chat replicate as plain commands with explicit ids and times} {
        r ticket.create rs "replicated" CATEGORY billing PRIORITY 5
        set repl [attach_to_replication_stream]
        set id [r ticket.msg rs 1 bot hello]
        r ticket.state.set rs 1 {{"facts":{"a":1}}}
        # The expiry is absolute: updated_at + state-ttl (default 1800 s).
        assert_equal [expr {[r hget rs:ticket:1:state updated_at] + 1800000}] \
            [r pexpiretime rs:ticket:1:state]
        set exp [r pexpiretime rs:ticket:1:state]
        r ticket.state.get rs 1
        set exp2 [r pexpiretime rs:ticket:1:state]
        assert {$exp2 >= $exp}
        assert_replication_stream $repl [list \
            {select *} \
            {multi} \
            "xadd rs:ticket:1:chat $id sender bot text hello at *" \
            {xadd rs:events * type message ticket 1 at * sender bot id *} \
            {exec} \
            {multi} \
            {hset rs:ticket:1:state facts * history * last_decision null created_at * updated_at * version 1} \
            "pexpireat rs:ticket:1:state $exp" \
            {exec} \
            "pexpireat rs:ticket:1:state $exp2"]
        close_replication_stream $repl
    }

    start_server [list overrides [list loadmodule $helpdesk_so]] {
        set master [srv -1 client]
        set replica [srv 0 client]

        test {replica of the chat/state master connects} {
            $replica replicaof [srv -1 host] [srv -1 port]
            wait_for_condition 100 100 {
                [string match {*master_link_status:up*} [$replica info replication]]
            } else {
                fail "replica did not connect to master"
            }
        }

        test {replica digest equals master after chat and state traffic} {
            # Small nodes on the master only: its approximate trims drop whole
            # nodes, the replica is told the exact length that remained.
            $master config set stream-node-max-entries 4
            cs_traffic $master
            wait_for_ofs_sync $master $replica
            assert_equal [$master debug digest] [$replica debug digest]
            for {set t 1} {$t <= 2} {incr t} {
                assert_equal [$master xrange cs:ticket:$t:chat - +] [$replica xrange cs:ticket:$t:chat - +]
                assert_equal [$master hgetall cs:ticket:$t:state] [$replica hgetall cs:ticket:$t:state]
                assert_equal [$master pexpiretime cs:ticket:$t:state] \
                    [$replica pexpiretime cs:ticket:$t:state]
            }
            assert_range [$master xlen cs:ticket:1:chat] 10 14
            assert_equal 0 [$replica exists cs:ticket:3:state]
            $master config set stream-node-max-entries 100
        }

        test {racing IFVERSION writes replicate only the winner} {
            set v [$master hget cs:ticket:1:state version]
            set rd1 [redis_deferring_client -1]
            set rd2 [redis_deferring_client -1]
            $rd1 ticket.state.merge cs 1 {{"who":"first"}} IFVERSION $v
            $rd2 ticket.state.merge cs 1 {{"who":"second"}} IFVERSION $v
            set e1 [catch {$rd1 read} r1]
            set e2 [catch {$rd2 read} r2]
            $rd1 close
            $rd2 close
            # Either may be served first; exactly one wins.
            if {$e1 == 0} {
                set winner first
                assert_equal [expr {$v + 1}] $r1
                assert_equal 1 $e2
                assert_match {CONFLICT*} $r2
            } else {
                set winner second
                assert_match {CONFLICT*} $r1
                assert_equal 0 $e2
                assert_equal [expr {$v + 1}] $r2
            }
            wait_for_ofs_sync $master $replica
            assert_equal [$master debug digest] [$replica debug digest]
            assert_match "*\"who\":\"$winner\"*" [$replica hget cs:ticket:1:state facts]
        }

        test {a state that expires on the master is gone on the replica too} {
            $master desk.config SET cs state-ttl 1
            $master ticket.state.set cs 2 {{"facts":{"short":true}}}
            wait_for_ofs_sync $master $replica
            assert_equal 1 [$replica exists cs:ticket:2:state]
            wait_for_condition 50 100 {
                [$master exists cs:ticket:2:state] == 0
            } else {
                fail "state did not expire on the master"
            }
            wait_for_ofs_sync $master $replica
            assert_equal 0 [$replica exists cs:ticket:2:state]
            assert_equal [$master debug digest] [$replica debug digest]
            $master desk.config SET cs state-ttl 1800
        }
    }

    test {DEBUG LOADAOF keeps chat and state, expiry times included} {
        set digest [r debug digest]
        # GET refreshes the TTL; the AOF must have that new expiry too.
        set doc [r ticket.state.get cs 1]
        set exp [r pexpiretime cs:ticket:1:state]
        set msgs [r ticket.msgs cs 1 COUNT 100]
        r debug loadaof
        assert_equal $digest [r debug digest]
        assert_equal $exp [r pexpiretime cs:ticket:1:state]
        assert_equal $msgs [r ticket.msgs cs 1 COUNT 100]
        # Reading refreshes the TTL but the content is the same document.
        assert_equal $doc [r ticket.state.get cs 1]
        assert_equal {} [r desk.check cs]
    }

    test {expiry replays as an absolute time: a state past it stays gone} {
        r desk.config SET cs state-ttl 1
        # No active expiry and no access: the key stays in memory and in the
        # AOF (HSET + PEXPIREAT) until it is past its time.
        r debug set-active-expire 0
        r ticket.state.set cs 1 {{"facts":{"gone":"soon"}}}
        set at [r pexpiretime cs:ticket:1:state]
        while {[clock milliseconds] <= $at + 50} { after 50 }
        r debug loadaof
        # A relative TTL replayed now would still be alive for a second.
        assert_equal 0 [r exists cs:ticket:1:state]
        assert_equal {} [r ticket.state.get cs 1]
        r debug set-active-expire 1
        r desk.config SET cs state-ttl 1800
        assert_equal 1 [r ticket.state.set cs 1 {{"facts":{"back":true}}} IFVERSION 0]
    }

    test {a restart from the AOF keeps chat and state, expiry times included} {
        set digest [r debug digest]
        set exp [r pexpiretime cs:ticket:1:state]
        set state [r hgetall cs:ticket:1:state]
        set chat [r xrange cs:ticket:2:chat - +]
        restart_server 0 true false
        assert_equal $digest [r debug digest]
        assert_equal $exp [r pexpiretime cs:ticket:1:state]
        assert_equal $state [r hgetall cs:ticket:1:state]
        assert_equal $chat [r xrange cs:ticket:2:chat - +]
        # The module keeps working on the loaded data.
        assert_match {*-*} [r ticket.msg cs 2 bot "after restart"]
        assert_equal [expr {[dict get $state version] + 1}] \
            [r ticket.state.merge cs 1 {{"after":"restart"}}]
        assert_equal {} [r desk.check cs]
    }
}
