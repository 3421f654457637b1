# Replication: a replica of a master running helpdesk commands ends with the
# same dataset (DEBUG DIGEST) and a consistent desk (DESK.CHECK), including
# the effects of a blocked TICKET.NEXT served later by a TICKET.CREATE.
# Run by tcl-tests/run; [list ...] so that $::env(...) is expanded.
set helpdesk_so $::env(HELPDESK_SO)

source tests/helpdesk/lib/workload.tcl

# Asserts DESK.CHECK reports nothing for desk $d, on the master and on the
# replica, which stays read-only: DESK.CHECK is a read.
proc rep_check_desk {master replica d} {
    assert_equal {} [$master desk.check $d]
    assert_equal {} [$replica desk.check $d]
}

start_server [list tags {"helpdesk repl"} overrides [list loadmodule $helpdesk_so]] {
    start_server [list overrides [list loadmodule $helpdesk_so]] {
        set master [srv -1 client]
        set replica [srv 0 client]
        $replica replicaof [srv -1 host] [srv -1 port]
        hd_wait_link_up $replica

        test {replica of a helpdesk workload has the master's digest} {
            set facts [hd_workload $master rep]
            wait_for_ofs_sync $master $replica
            assert_equal [$master debug digest] [$replica debug digest]
            assert_equal [$master dbsize] [$replica dbsize]
            assert {[$master dbsize] > 100}

            # The replica serves the replicated data through the module.
            set counts [$replica ticket.counts rep]
            set total 0
            foreach {status n} $counts { incr total $n }
            assert_equal [expr {[dict get $facts created] - [dict get $facts deleted]}] $total
            assert_equal $counts [$master ticket.counts rep]
            set tids [dict get $facts tids]
            assert_equal {} [$replica ticket.get rep [lindex $tids 25]]
            assert_equal open [dict get [$replica ticket.get rep [lindex $tids 20]] status]
            assert_equal closed [dict get [$replica ticket.get rep [lindex $tids 21]] status]
            assert_equal "fixed 21" [dict get [$replica ticket.get rep [lindex $tids 21]] resolution]
            assert_equal [$master ticket.get rep [lindex $tids 1]] \
                         [$replica ticket.get rep [lindex $tids 1]]
            assert_equal {} [$replica agent.get rep A4]
            assert_equal [dict get $facts u1] \
                [dict get [$replica customer.find rep renamed1@example.com] id]
            assert_equal {} [$replica customer.find rep cust1@example.com]
            assert_equal [$master agent.get rep A1] [$replica agent.get rep A1]
            assert {[llength [dict get $facts claimed_a2]] > 0}
            set a2_open [dict get [$replica agent.get rep A2] open_tickets]
            foreach tid [dict get $facts claimed_a2] { assert {$tid in $a2_open} }
            # DESK.CONFIG GET is a readonly subcommand: it runs on the replica.
            assert_equal yes [$replica hget rep:config auto-route]
            assert_equal yes [$replica desk.config get rep auto-route]
            assert_equal A1 [dict get [$replica ticket.get rep [lindex $tids end]] assigned_agent]
        }

        test {DESK.CHECK finds nothing on master and replica after the workload} {
            rep_check_desk $master $replica rep
        }

        test {replica matches after 1500 random commands on two desks} {
            lassign [hd_random_workload $master rnd1 11 800] ok1 refused1
            lassign [hd_random_workload $master rnd2 29 700] ok2 refused2
            # Most commands did something; the rest were refused as expected.
            assert {$ok1 > 300 && $ok2 > 250}
            assert {$refused1 > 0 && $refused2 > 0}
            wait_for_ofs_sync $master $replica
            assert_equal [$master debug digest] [$replica debug digest]
            assert_equal [$master ticket.counts rnd1] [$replica ticket.counts rnd1]
            rep_check_desk $master $replica rnd1
            rep_check_desk $master $replica rnd2
        }

        test {blocked TICKET.NEXT served by a later TICKET.CREATE replicates its effects} {
            # A fresh desk, so the agent has nothing to take and blocks.
            $master agent.create rep2 W1 Walt SKILLS billing
            set rd [redis_deferring_client -1]
            $rd ticket.next rep2 W1 BLOCK 0
            wait_for_blocked_clients_count 1 100 10 -1
            set tid [$master ticket.create rep2 "Card declined" PRIORITY 20 CATEGORY billing]
            set got [$rd read]
            $rd close
            assert_equal $tid [dict get $got id]
            assert_equal W1 [dict get $got assigned_agent]

            wait_for_ofs_sync $master $replica
            assert_equal [$master debug digest] [$replica debug digest]
            set rt [$replica ticket.get rep2 $tid]
            assert_equal W1 [dict get $rt assigned_agent]
            assert_equal 1 [dict get [$replica agent.get rep2 W1] load]
            assert_equal [list $tid] [dict get [$replica agent.get rep2 W1] open_tickets]
            assert_equal {} [$replica ticket.peek rep2 UNASSIGNED]
            rep_check_desk $master $replica rep2
        }

        test {random workloads with blocked TICKET.NEXT waiters served mid-stream} {
            set agents {R1 R2 R3 R4}
            set served 0    ;# waiters that got a ticket
            set released 0  ;# waiters still blocked at the end (CLIENT UNBLOCK)
            set refused 0   ;# waiters whose agent went offline or filled up
            set desks {}
            for {set round 0} {$round < 6} {incr round} {
                # A fresh desk each round, so all four waiters block.
                set d "rnd3_$round"
                lappend desks $d
                foreach a $agents {
                    $master agent.create $d $a "Agent $a" SKILLS billing CAPACITY 4
                }
                set rds {}
                foreach a $agents {
                    set rd [redis_deferring_client -1]
                    $rd client id
                    lappend rds [list $rd [$rd read] $a]
                    $rd ticket.next $d $a BLOCK 0
                }
                wait_for_blocked_clients_count 4 100 10 -1
                hd_random_workload $master $d [expr {100 + $round}] 120
                foreach w $rds {
                    lassign $w rd id a
                    # 1 when it was still blocked; it then replies nil.
                    set still [$master client unblock $id]
                    if {[catch {$rd read} got]} {
                        assert {[regexp {^(UNAVAILABLE|CAPACITY|NOTFOUND) } $got]}
                        incr refused
                    } elseif {$got eq {}} {
                        assert_equal 1 $still
                        incr released
                    } else {
                        assert_equal 0 $still
                        assert_equal $a [dict get $got assigned_agent]
                        incr served
                    }
                    $rd close
                }
            }
            assert_equal 24 [expr {$served + $released + $refused}]
            assert {$served > 4}
            assert_equal 0 [getInfoProperty [$master info helpdesk] helpdesk_blocked_next_waiters]
            wait_for_ofs_sync $master $replica
            assert_equal [$master debug digest] [$replica debug digest]
            foreach d $desks { rep_check_desk $master $replica $d }
        }

        test {DESK.REPAIR on the master replicates its fixes} {
            # Damage the desk with plain commands, which replicate as well.
            set tid [$master ticket.create rep4 "Damaged" PRIORITY 5 CATEGORY billing]
            $master agent.create rep4 A1 Ann SKILLS billing
            $master zrem rep4:queue:priority ticket:$tid
            $master hset rep4:agent:A1 load 3
            assert_equal 2 [llength [$master desk.check rep4]]
            assert_equal 2 [llength [$master desk.repair rep4]]
            wait_for_ofs_sync $master $replica
            assert_equal [$master debug digest] [$replica debug digest]
            assert_equal 5 [$replica zscore rep4:queue:priority ticket:$tid]
            assert_equal 0 [$replica hget rep4:agent:A1 load]
            rep_check_desk $master $replica rep4
        }

        test {a replica resynced from scratch matches too; its own waiters are unblocked} {
            # Full sync path (RDB transfer) on top of the incremental one.
            set full_syncs [s -1 sync_full]
            $replica replicaof no one
            $replica flushall
            # While it is a master, a TICKET.NEXT waiter blocks on it; turning
            # it back into a replica unblocks the waiter and forgets it.
            $replica agent.create rep5 A1 Ann SKILLS billing
            set rd [redis_deferring_client]
            $rd ticket.next rep5 A1 BLOCK 0
            wait_for_blocked_clients_count 1
            assert_equal 1 [getInfoProperty [$replica info helpdesk] helpdesk_blocked_next_waiters]
            $master ticket.create rep "After resync" PRIORITY 5 CATEGORY general
            $replica replicaof [srv -1 host] [srv -1 port]
            assert_error {UNBLOCKED*} {$rd read}
            $rd close
            assert_equal 0 [getInfoProperty [$replica info helpdesk] helpdesk_blocked_next_waiters]
            hd_wait_link_up $replica
            wait_for_ofs_sync $master $replica
            assert_equal [expr {$full_syncs + 1}] [s -1 sync_full]
            assert_equal [$master debug digest] [$replica debug digest]
            rep_check_desk $master $replica rep
        }
    }
}
