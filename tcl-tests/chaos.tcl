# Chaos: a master and its replica, both with AOF on and a 10 ms SLA timer,
# under a mixed workload where tickets fall due all the time, while the
# suite repeatedly pauses clients (CLIENT PAUSE WRITE), runs FAILOVER back
# and forth and BGREWRITEAOF. Issue 11: a breach marked by the SLA timer
# while clients were paused (FAILOVER pauses them too) aborted the server
# ("ASSERTION FAILED ... areClientsPaused()"). Both servers must stay up, the
# digests converge and DESK.CHECK is empty on both at the end.
# Bounded: a fixed number of rounds of a few hundred commands each.
set helpdesk_so $::env(HELPDESK_SO)

source tests/helpdesk/lib/workload.tcl

set chaos_overrides [list loadmodule $helpdesk_so helpdesk.sla-timer-ms 10 \
                         appendonly yes appendfsync everysec]
set chaos_rounds 6

proc chaos_role {c} { lindex [$c role] 0 }

# Tickets that fall due within a second, so the timer has breaches to mark
# during every pause and failover.
proc chaos_due_soon {c d n} {
    for {set i 0} {$i < $n} {incr i} {
        $c ticket.create $d "due soon $i" PRIORITY 5 CATEGORY billing SLA 1
    }
}

start_server [list tags {"helpdesk chaos"} overrides $chaos_overrides] {
    start_server [list overrides $chaos_overrides] {
        set a [srv -1 client]
        set b [srv 0 client]
        set a_host [srv -1 host]
        set a_port [srv -1 port]
        set b_host [srv 0 host]
        set b_port [srv 0 port]
        $a config set repl-diskless-sync-delay 0
        $b config set repl-diskless-sync-delay 0
        $b replicaof $a_host $a_port
        hd_wait_link_up $b
        set master $a
        set replica $b
        set desks {chaos chaos_r}
        $a desk.config SET chaos flood-threshold 0
        set breaches_before [getInfoProperty [$a info helpdesk] helpdesk_sla_breaches]

        test {chaos: pauses, failovers and AOF rewrites under a due-ticket workload} {
            for {set round 0} {$round < $chaos_rounds} {incr round} {
                chaos_due_soon $master chaos 10
                lassign [hd_random_workload $master chaos_r [expr {101 + $round}] 150] ok refused
                assert {$ok > 30}
                # Clients paused while tickets fall due: the timer holds off.
                $master client pause 300 write
                set paused_at [clock milliseconds]
                after 100
                assert_equal PONG [$master ping]
                assert_equal PONG [$replica ping]
                # Writes wait for the pause to end, then go through.
                chaos_due_soon $master chaos 2
                assert {[clock milliseconds] - $paused_at >= 250}
                if {$round % 2 == 0} {
                    $master bgrewriteaof
                    waitForBgrewriteaof $master
                } else {
                    $replica bgrewriteaof
                    waitForBgrewriteaof $replica
                }
                # FAILOVER pauses the master's writers until the replica has
                # caught up, then swaps the roles.
                wait_for_ofs_sync $master $replica
                assert_equal OK [$master failover timeout 5000]
                wait_for_condition 100 50 {
                    [chaos_role $master] eq {slave} && [chaos_role $replica] eq {master}
                } else {
                    fail "FAILOVER did not swap the roles in round $round"
                }
                set tmp $master
                set master $replica
                set replica $tmp
                hd_wait_link_up $replica
                assert_equal PONG [$master ping]
                assert_equal PONG [$replica ping]
            }
        }

        test {chaos: the timer marked breaches during the run} {
            set marked 0
            foreach c [list $a $b] {
                incr marked [getInfoProperty [$c info helpdesk] helpdesk_sla_breaches]
            }
            assert {$marked > $breaches_before}
            set held 0
            foreach c [list $a $b] {
                incr held [getInfoProperty [$c info helpdesk] helpdesk_sla_paused_ticks]
            }
            assert {$held > 0}
        }

        test {chaos: both servers are up, digests converge, DESK.CHECK is empty on both} {
            # Stop the timer on both so nothing changes behind the digests.
            $master config set helpdesk.sla-timer-ms 0
            $replica config set helpdesk.sla-timer-ms 0
            chaos_due_soon $master chaos 1
            wait_for_ofs_sync $master $replica
            assert_equal [$master debug digest] [$replica debug digest]
            assert_equal [$master dbsize] [$replica dbsize]
            foreach d $desks {
                assert_equal {} [hd_desk_check $master $d]
                assert_equal {} [hd_desk_check $replica $d]
            }
            assert_equal PONG [$a ping]
            assert_equal PONG [$b ping]
        }
    }
}

# CLUSTER FAILOVER pauses the master's writers the same way (a manual
# failover waits, paused, until the replica has its offset). Tickets fall due
# on every round; the nodes must stay up and agree afterwards.
start_cluster 1 1 [list tags {"helpdesk chaos cluster"} overrides [list \
        cluster-enabled yes cluster-node-timeout 500 loadmodule $helpdesk_so \
        helpdesk.sla-timer-ms 10 appendonly yes]] {
    proc cc_master {} { expr {[chaos_role [srv 0 client]] eq {master} ? 0 : -1} }

    test {chaos: CLUSTER FAILOVER back and forth while tickets fall due} {
        set d "{chaos}"
        # There and back: a cluster node votes for a failover of the same
        # master only once per 2 x cluster-node-timeout.
        for {set round 0} {$round < 2} {incr round} {
            set m [cc_master]
            set r [expr {$m == 0 ? -1 : 0}]
            set mc [srv $m client]
            set rc [srv $r client]
            wait_for_condition 100 50 {
                [string match {*master_link_status:up*} [$rc info replication]]
            } else {
                fail "replica not linked in round $round"
            }
            chaos_due_soon $mc $d 10
            # Some already due: the timer has work whenever the pause comes.
            set tid [$mc ticket.create $d "due now" PRIORITY 5 CATEGORY billing]
            $mc ticket.update $d $tid sla_due_at [expr {[clock milliseconds] - 1000}]
            wait_for_ofs_sync $mc $rc
            # An election can be lost (a vote refused for this epoch): try
            # again, a few times, before calling it a failure.
            set swapped 0
            for {set try 0} {$try < 5 && !$swapped} {incr try} {
                assert_equal OK [$rc cluster failover]
                set swapped 1
                wait_for_condition 60 50 {
                    [chaos_role $rc] eq {master} && [chaos_role $mc] eq {slave}
                } else {
                    # (the framework runs this script's result as a command)
                    set swapped 0
                    list
                }
            }
            assert_equal 1 $swapped
            assert_equal PONG [$mc ping]
            assert_equal PONG [$rc ping]
        }
        set m [cc_master]
        set r [expr {$m == 0 ? -1 : 0}]
        [srv $m client] config set helpdesk.sla-timer-ms 0
        [srv $r client] config set helpdesk.sla-timer-ms 0
        wait_for_condition 100 50 {
            [string match {*master_link_status:up*} [[srv $r client] info replication]]
        } else {
            fail "replica not linked at the end"
        }
        [srv $m client] ticket.create $d "last" PRIORITY 5 CATEGORY billing
        wait_for_ofs_sync [srv $m client] [srv $r client]
        assert_equal [[srv $m client] debug digest] [[srv $r client] debug digest]
        # A cluster replica redirects DESK.CHECK (write-flagged) with MOVED;
        # its digest equals the master's, whose check is empty.
        assert_equal {} [[srv $m client] desk.check $d]
    }
}
