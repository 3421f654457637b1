# Failover: a replica promoted (REPLICAOF NO ONE) after a burst of helpdesk
# writes, including TICKET.NEXT waiters served mid-burst, holds a consistent
# desk (DESK.CHECK empty) and carries on: new tickets get ids after the old
# master's last one, and NEXT / CLOSE work. The old master, made a replica of
# the new one, converges to the same DEBUG DIGEST.
# The SLA timer is slowed down (sla-timer-ms) and no ticket gets near its
# SLA, so nothing changes the datasets behind the digests' back.
# Run by tcl-tests/run; [list ...] so that $::env(...) is expanded.
set helpdesk_so $::env(HELPDESK_SO)

source tests/helpdesk/lib/workload.tcl

# (A module config line in the config file; arguments after the module path
# on the loadmodule line are not read as configs.)
set fo_module [list loadmodule $helpdesk_so helpdesk.sla-timer-ms 3600000]

start_server [list tags {"helpdesk failover"} overrides $fo_module] {
    start_server [list overrides $fo_module] {
        set old [srv -1 client]        ;# the master, later a replica
        set new [srv 0 client]         ;# the replica, later the master
        set old_host [srv -1 host]
        set old_port [srv -1 port]
        set new_host [srv 0 host]
        set new_port [srv 0 port]
        set desks {fo fo_r1 fo_r2 fo_wait}

        test {failover: the SLA timer is slowed down on both servers} {
            assert_equal {helpdesk.sla-timer-ms 3600000} [$old config get helpdesk.sla-timer-ms]
            assert_equal {helpdesk.sla-timer-ms 3600000} [$new config get helpdesk.sla-timer-ms]
        }

        $new replicaof $old_host $old_port
        hd_wait_link_up $new

        test {failover: a burst of writes with blocked NEXT waiters reaches the replica} {
            set facts [hd_workload $old fo]
            # Chat and assistant state (a TTL as PEXPIREAT) on a few tickets.
            set tids [dict get $facts tids]
            set ::fo_state_tids [lrange $tids 10 14]
            foreach tid $::fo_state_tids {
                $old ticket.msg fo $tid customer:1 "hello about $tid"
                $old ticket.state.set fo $tid "{\"facts\":{\"tid\":$tid}}"
                $old ticket.state.append fo $tid "step one"
            }
            # Four agents wait on an empty desk; three tickets arrive while the
            # random workloads run, so three waiters are served mid-burst.
            foreach a {W1 W2 W3 W4} {
                $old agent.create fo_wait $a "Waiter $a" SKILLS billing CAPACITY 5
            }
            set rds {}
            foreach a {W1 W2 W3 W4} {
                set rd [redis_deferring_client -1]
                $rd ticket.next fo_wait $a BLOCK 0
                lappend rds $rd
            }
            wait_for_blocked_clients_count 4 100 10 -1
            set served {}
            lassign [hd_random_workload $old fo_r1 41 300] ok1 refused1
            lappend served [$old ticket.create fo_wait "Card declined" PRIORITY 20 CATEGORY billing]
            lassign [hd_random_workload $old fo_r2 43 300] ok2 refused2
            lappend served [$old ticket.create fo_wait "Refund missing" PRIORITY 10 CATEGORY billing]
            lappend served [$old ticket.create fo_wait "Invoice wrong" PRIORITY 5 CATEGORY billing]
            assert {$ok1 > 100 && $ok2 > 100}
            wait_for_blocked_clients_count 1 100 10 -1
            # Waiters are served in arrival order: W1, W2, W3; W4 still waits.
            set got {}
            foreach rd [lrange $rds 0 2] a {W1 W2 W3} {
                set t [$rd read]
                assert_equal $a [dict get $t assigned_agent]
                lappend got [dict get $t id]
            }
            assert_equal $served $got
            set ::fo_waiter [lindex $rds 3]
            foreach rd [lrange $rds 0 2] { $rd close }

            wait_for_ofs_sync $old $new
            assert_equal [$old debug digest] [$new debug digest]
            assert_equal [$old dbsize] [$new dbsize]
            foreach d $desks {
                assert_equal {} [$old desk.check $d]
                assert_equal {} [hd_desk_check $new $d]
            }
            assert_equal W2 [dict get [$new ticket.get fo_wait [lindex $served 1]] assigned_agent]
        }

        test {failover: the promoted replica serves a consistent desk} {
            set last_fo [$old get fo:seq:tickets]
            set last_wait [$old get fo_wait:seq:tickets]
            set counts [$old ticket.counts fo]
            $new replicaof no one
            assert_equal master [lindex [$new role] 0]
            # Consistent, with the master's data.
            foreach d $desks { assert_equal {} [$new desk.check $d] }
            assert_equal $counts [$new ticket.counts fo]
            assert_equal $last_fo [$new get fo:seq:tickets]
            # New work: ids continue after the old master's last id.
            set t1 [$new ticket.create fo "After failover" PRIORITY 20 CATEGORY billing]
            assert_equal [expr {$last_fo + 1}] $t1
            set t2 [$new ticket.create fo_wait "After failover too" PRIORITY 20 CATEGORY billing]
            assert_equal [expr {$last_wait + 1}] $t2
            # W4's waiter is a client of the old master: here nobody waits, so
            # the ticket stays queued until W4 asks the new master.
            assert_equal {} [dict get [$new ticket.get fo_wait $t2] assigned_agent]
            set got [$new ticket.next fo_wait W4]
            assert_equal $t2 [dict get $got id]
            assert_equal W4 [dict get $got assigned_agent]
            assert_equal OK [$new ticket.status fo_wait $t2 in_progress]
            assert_equal OK [$new ticket.close fo_wait $t2 RESOLUTION "fixed after failover"]
            assert_equal closed [dict get [$new ticket.get fo_wait $t2] status]
            set a1 [$new ticket.next fo A1]
            if {$a1 ne {}} { assert_equal OK [$new ticket.close fo [dict get $a1 id]] }
            assert_equal OK [$new ticket.assign fo $t1 A1 FORCE]
            assert_equal OK [$new ticket.close fo $t1]
            assert_equal {} [$new ticket.state.get fo $t1]
            set st [lindex $::fo_state_tids 0]
            assert_match "*\"tid\":$st*\"step one\"*" [$new ticket.state.get fo $st]
            assert_equal 1 [$new xlen fo:ticket:$st:chat]
            foreach d $desks { assert_equal {} [$new desk.check $d] }
        }

        test {failover: the old master, now a replica of the new one, converges} {
            $old replicaof $new_host $new_port
            # Its last TICKET.NEXT waiter is released when it turns replica.
            assert_error {UNBLOCKED*} {$::fo_waiter read}
            $::fo_waiter close
            hd_wait_link_up $old
            wait_for_ofs_sync $new $old
            assert_equal [$new debug digest] [$old debug digest]
            foreach d $desks { assert_equal {} [hd_desk_check $old $d] }
            # And keeps following: more writes on the new master.
            lassign [hd_random_workload $new fo_r1 47 200] ok refused
            assert {$ok > 50}
            wait_for_ofs_sync $new $old
            assert_equal [$new debug digest] [$old debug digest]
            assert_equal [$new ticket.counts fo_r1] [$old ticket.counts fo_r1]
            assert_equal {} [hd_desk_check $old fo_r1]
            assert_equal 0 [getInfoProperty [$old info helpdesk] helpdesk_blocked_next_waiters]
        }
    }
}
