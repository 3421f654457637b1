# Persistence: a desk written through the module survives AOF replay
# (DEBUG LOADAOF, a restart, a rewritten AOF) and an RDB round trip
# (DEBUG RELOAD) with the same DEBUG DIGEST and DESK.CHECK still empty, and
# the module keeps working on the loaded data.
# Run by tcl-tests/run; [list ...] so that $::env(...) is expanded.
set helpdesk_so $::env(HELPDESK_SO)

source tests/helpdesk/lib/workload.tcl

proc per_assert_unchanged {digest counts} {
    assert_equal $digest [r debug digest]
    assert_equal $counts [r ticket.counts per]
    assert_equal {} [r desk.check per]
    assert_equal {} [r desk.check rnd]
}

start_server [list tags {"helpdesk persistence"} \
                  overrides [list appendonly yes appendfsync always loadmodule $helpdesk_so]] {
    test {workload on an AOF server leaves a consistent desk} {
        set facts [hd_workload r per]
        lassign [hd_random_workload r rnd 7 600] ok refused
        assert {$ok > 200 && $refused > 0}
        set ::per_digest [r debug digest]
        set ::per_counts [r ticket.counts per]
        set ::per_dbsize [r dbsize]
        assert {$::per_dbsize > 100}
        assert_equal {} [r desk.check per]
        assert_equal {} [r desk.check rnd]
        # The AOF holds plain Redis commands, and in commands mode the hot
        # commands inside HD.REPLAY: never a module command on its own.
        set aof [string tolower [exec cat {*}[glob [lindex [r config get dir] 1]/appendonlydir/*.incr.aof]]]
        set mode [lindex [r config get helpdesk.replication] 1]
        set replays [regexp -all -line {^hd\.replay\r?$} $aof]
        set module_cmds [regexp -all -line {^ticket\.[a-z]+\r?$} $aof]
        if {$mode eq {effects}} {
            assert_equal {0 0} [list $replays $module_cmds]
        } else {
            assert {$replays > 100}
            assert_equal $replays $module_cmds
        }
    }

    test {DEBUG LOADAOF rebuilds the same dataset} {
        r debug loadaof
        assert_equal $::per_dbsize [r dbsize]
        per_assert_unchanged $::per_digest $::per_counts
    }

    test {a restart from the AOF rebuilds the same dataset} {
        restart_server 0 true false
        assert_equal $::per_dbsize [r dbsize]
        per_assert_unchanged $::per_digest $::per_counts
    }

    test {a restart from a rewritten AOF (RDB preamble) rebuilds the same dataset} {
        r bgrewriteaof
        waitForBgrewriteaof r
        restart_server 0 true false
        per_assert_unchanged $::per_digest $::per_counts
    }

    test {DEBUG RELOAD (RDB round trip) keeps the same dataset} {
        r debug reload
        assert_equal $::per_dbsize [r dbsize]
        per_assert_unchanged $::per_digest $::per_counts
    }

    test {commands keep working after a reload: ids continue from the sequence} {
        # The workload turned auto-route on; NEXT below does the routing.
        assert_equal OK [r desk.config SET per auto-route no]
        set seq [r get per:seq:tickets]
        assert {$seq >= 65}
        set tid [r ticket.create per "After reload" PRIORITY 1000 CATEGORY billing]
        assert_equal [expr {$seq + 1}] $tid
        assert_equal $tid [r get per:seq:tickets]
        # The new ticket is the most urgent billing ticket: an online billing
        # agent with room takes it next.
        r agent.create per P1 Pat SKILLS billing CAPACITY 2
        set got [r ticket.next per P1]
        assert_equal $tid [dict get $got id]
        assert_equal P1 [dict get $got assigned_agent]
        assert_equal OK [r ticket.close per $tid RESOLUTION "done"]
        assert_equal closed [dict get [r ticket.get per $tid] status]
        set uid [r customer.create per "Late Customer" late@example.com]
        assert_equal [r get per:seq:users] $uid
        assert_equal {} [r desk.check per]
        # And those writes persist too.
        set digest [r debug digest]
        r debug loadaof
        assert_equal $digest [r debug digest]
        r debug reload
        assert_equal $digest [r debug digest]
        assert_equal {} [r desk.check per]
    }

    test {a waiter blocked across DEBUG RELOAD is served, and that is in the AOF} {
        r agent.create per2 W1 Wyn SKILLS legal
        set rd [redis_deferring_client]
        $rd ticket.next per2 W1 BLOCK 0
        wait_for_blocked_clients_count 1
        r debug reload
        assert_equal 1 [s blocked_clients]
        set tid [r ticket.create per2 "NDA review" PRIORITY 10 CATEGORY legal]
        set got [$rd read]
        $rd close
        assert_equal $tid [dict get $got id]
        assert_equal W1 [dict get $got assigned_agent]
        set digest [r debug digest]
        r debug loadaof
        assert_equal $digest [r debug digest]
        assert_equal W1 [dict get [r ticket.get per2 $tid] assigned_agent]
        assert_equal [list $tid] [dict get [r agent.get per2 W1] open_tickets]
        assert_equal {} [r desk.check per2]
    }

    test {DESK.CHECK sees damage, REPAIR fixes it, and the fix persists} {
        # Guards the empty DESK.CHECK results above against a checker that
        # finds nothing at all.
        set tid [r ticket.create per "To damage" PRIORITY 7 CATEGORY billing]
        r zrem per:queue:priority ticket:$tid
        r hincrby per:agent:A1 load 5
        set found [r desk.check per]
        assert_equal 2 [llength $found]
        assert_match "*ticket $tid*" $found
        assert_match "*A1*" $found
        assert_equal 2 [llength [r desk.repair per]]
        assert_equal {} [r desk.check per]
        set digest [r debug digest]
        r debug loadaof
        assert_equal $digest [r debug digest]
        assert_equal {} [r desk.check per]
        assert_equal 7 [r zscore per:queue:priority ticket:$tid]
    }
}
