# One contract on master and replica (issue 12):
# - reads are read-only: DESK.CHECK and DESK.CONFIG GET run on a read-only
#   replica, DESK.REPAIR and DESK.CONFIG SET are refused there (READONLY);
# - keyspace notifications: every key the module writes through the
#   low-level API raises the event the replicated command raises, so a
#   master and its replica emit the same keyspace events in the same order;
#   the master adds one module event per write command (class `d`, the
#   command's name as the event) on the ticket hash, or on the desk name.
# Run by tcl-tests/run.
set helpdesk_so $::env(HELPDESK_SO)

source tests/helpdesk/lib/workload.tcl

# Reads pmessages from a deferring client until the key `stop` shows up;
# returns them as a list of "event key" strings.
proc hd_collect_events {rd stop} {
    set events {}
    while 1 {
        set m [$rd read]
        if {[lindex $m 0] ne {pmessage}} continue
        set event [lindex [split [lindex $m 2] :] end]
        set key [lindex $m 3]
        if {$key eq $stop} break
        lappend events "$event $key"
    }
    return $events
}

# Runs body (in the caller) with a keyevent subscriber on the master (srv -1)
# and one on the replica (srv 0); returns {master-events replica-events}.
proc hd_events_during {master body} {
    set rdm [redis_deferring_client -1]
    set rdr [redis_deferring_client]
    foreach rd [list $rdm $rdr] {
        $rd psubscribe {__keyevent@*__:*}
        $rd read
    }
    uplevel 1 $body
    $master set stop:events 1
    set got [list [hd_collect_events $rdm stop:events] [hd_collect_events $rdr stop:events]]
    $rdm close
    $rdr close
    return $got
}

# Splits events into {plain module}: module events are the command names.
proc hd_split_module {events} {
    set plain {}
    set module {}
    foreach e $events {
        if {[string match {*.*} [lindex $e 0]]} { lappend module $e } else { lappend plain $e }
    }
    return [list $plain $module]
}

# Module commands that write, in the order the workload below runs them.
proc hd_module_events {} { return {
    desk.config|set customer.create agent.create ticket.create ticket.create
    ticket.assign ticket.status ticket.msg ticket.state.set ticket.update
    ticket.close ticket.reopen agent.skills ticket.next customer.update
    ticket.del agent.del desk.purge
} }

start_server [list tags {"helpdesk contract"} overrides [list loadmodule $helpdesk_so]] {
    start_server [list overrides [list loadmodule $helpdesk_so]] {
        set master [srv -1 client]
        set replica [srv 0 client]
        $replica replicaof [srv -1 host] [srv -1 port]
        hd_wait_link_up $replica

        test {DESK.CHECK and DESK.CONFIG GET run on a read-only replica} {
            assert_equal {yes} [lindex [$replica config get replica-read-only] 1]
            set tid [$master ticket.create ro "Card declined" PRIORITY 10 CATEGORY billing]
            $master agent.create ro A1 Ann SKILLS billing
            $master ticket.assign ro $tid A1
            $master desk.config set ro flood-window 30
            wait_for_ofs_sync $master $replica
            assert_equal {} [$replica desk.check ro]
            assert_equal 30 [$replica desk.config get ro flood-window]
            assert_equal [$master desk.config get ro] [$replica desk.config get ro]
            # DESK.CHECK D REPAIR names the write command instead.
            assert_error {ERR*DESK.REPAIR ro*} {$replica desk.check ro REPAIR}
        }

        test {DESK.REPAIR and DESK.CONFIG SET are writes: a read-only replica refuses them} {
            assert_error {READONLY*} {$replica desk.repair ro}
            assert_error {READONLY*} {$replica desk.config set ro flood-window 5}
            assert_equal {} [$master desk.repair ro]
        }

        test {a damaged desk: DESK.CHECK on the replica reports it, DESK.REPAIR on the master fixes both} {
            $master hset ro:agent:A1 load 7
            wait_for_ofs_sync $master $replica
            assert_equal 1 [llength [$replica desk.check ro]]
            assert_match {fixed: *} [lindex [$master desk.repair ro] 0]
            wait_for_ofs_sync $master $replica
            assert_equal {} [$replica desk.check ro]
            assert_equal [$master debug digest] [$replica debug digest]
        }

        test {master and replica emit the same keyspace events; the master adds one module event per write} {
            foreach c [list $master $replica] { $c config set notify-keyspace-events KEA }
            set D ev
            lassign [hd_events_during $master {
                $master desk.config set $D flood-threshold 0
                set uid [$master customer.create $D Ann ann@example.com]
                $master agent.create $D A1 Ann SKILLS billing
                set t1 [$master ticket.create $D "Card declined" PRIORITY 10 CATEGORY billing]
                set t2 [$master ticket.create $D "Parcel late" PRIORITY 5 CATEGORY shipping CUSTOMER $uid]
                $master ticket.assign $D $t1 A1
                $master ticket.status $D $t1 in_progress NOTE looking
                $master ticket.msg $D $t1 customer:$uid hello
                $master ticket.state.set $D $t1 {{"facts":{"a":1}}}
                $master ticket.update $D $t2 priority 20
                $master ticket.close $D $t1 RESOLUTION done
                $master ticket.reopen $D $t1
                # Reads and refused commands write nothing and raise nothing.
                $master ticket.get $D $t1
                $master ticket.peek $D
                $master desk.check $D
                catch {$master ticket.close $D 999}
                catch {$master ticket.create $D x PRIORITY 5 PRIORITY 6}
                $master agent.skills $D A1 ADD shipping
                set next [$master ticket.next $D A1]
                $master customer.update $D $uid name Bob
                $master ticket.del $D $t2
                $master agent.del $D A1
                $master desk.purge $D
            }] on_master on_replica
            lassign [hd_split_module $on_master] plain module
            assert {[llength $plain] > 60}
            assert_equal $plain $on_replica
            # Every kind of write the workload does was announced.
            foreach ev {hset hdel zadd zrem rpush xadd sadd srem del expire set} {
                assert {[lsearch -glob $plain "$ev *"] >= 0}
            }
            # The module events: one per write command, on the ticket hash
            # when the command concerns a ticket, else on the desk name.
            set names {}
            foreach e $module { lappend names [lindex $e 0] }
            assert_equal [join [hd_module_events]] [join $names]
            assert_equal "ticket.create $D:ticket:$t1" [lindex $module 3]
            assert_equal "ticket.msg $D:ticket:$t1" [lindex $module 7]
            assert_equal "ticket.next $D:ticket:$t2" [lindex $module 13]
            assert_equal "customer.create $D" [lindex $module 1]
            assert_equal "desk.purge $D" [lindex $module end]
            assert_equal [$master debug digest] [$replica debug digest]
        }

        test {a blocked TICKET.NEXT served later raises its module event on the ticket it got} {
            $master agent.create evb W1 Walt SKILLS billing
            set rd [redis_deferring_client -1]
            lassign [hd_events_during $master {
                $rd ticket.next evb W1 BLOCK 0
                wait_for_blocked_clients_count 1 100 10 -1
                set tid [$master ticket.create evb "Card declined" PRIORITY 20 CATEGORY billing]
                assert_equal $tid [dict get [$rd read] id]
            }] on_master on_replica
            $rd close
            lassign [hd_split_module $on_master] plain module
            assert_equal [list "ticket.create evb:ticket:$tid" "ticket.next evb:ticket:$tid"] $module
            assert_equal $plain $on_replica
        }

        test {the same keyspace events on master and replica over 600 random commands} {
            lassign [hd_events_during $master {
                lassign [hd_random_workload $master evr 7 600] ok refused
            }] on_master on_replica
            assert {$ok > 200}
            lassign [hd_split_module $on_master] plain module
            set nmodule [llength $module]
            assert {[llength $plain] > 1000}
            assert {$nmodule > 100 && $nmodule <= $ok}
            assert_equal $plain $on_replica
            wait_for_ofs_sync $master $replica
            assert_equal [$master debug digest] [$replica debug digest]
        }
    }
}
