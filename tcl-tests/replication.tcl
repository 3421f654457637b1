# Replication: a replica of a master running helpdesk commands ends with the
# same dataset (DEBUG DIGEST) and a consistent desk (DESK.CHECK), including
# the effects of a blocked TICKET.NEXT served later by a TICKET.CREATE.
# Run by tcl-tests/run; [list ...] so that $::env(...) is expanded.
set helpdesk_so $::env(HELPDESK_SO)

# A mixed workload on desk $d through client $c: customers, agents with
# skills, 60 tickets of mixed priorities and categories, then assign,
# reassign, status changes, notes, updates, close, reopen, delete, CLAIM,
# NEXT, CREATE ... ROUTE, AVAILABILITY ... RELEASE, AGENT.DEL,
# CUSTOMER.UPDATE email, DESK.CONFIG SET. Returns a dict of facts to check.
proc rep_workload {c d} {
    # Flood detection off: the tickets below share their wording.
    assert_equal OK [$c desk.config $d SET flood-threshold 0]
    assert_equal OK [$c desk.config $d SET default-capacity 10]
    assert_equal OK [$c desk.config $d SET sla.10 7200]

    set uids {}
    for {set i 1} {$i <= 8} {incr i} {
        lappend uids [$c customer.create $d "Customer $i" "cust$i@example.com" PHONE "+1555000$i"]
    }
    $c agent.create $d A1 Ann EMAIL ann@example.com SKILLS billing technical CAPACITY 14
    $c agent.create $d A2 Bob SKILLS technical shipping
    $c agent.create $d A3 Cid SKILLS billing returns CAPACITY 6
    $c agent.create $d A4 Dee SKILLS shipping
    $c agent.create $d A5 Eve CAPACITY 4
    assert_equal {returns} [$c agent.skills $d A5 ADD returns]

    set cats {billing technical shipping returns general}
    set prios {1 5 10 20 5 10}
    set tids {}
    for {set i 0} {$i < 60} {incr i} {
        set cmd [list ticket.create $d "Subject $i" BODY "body of ticket $i" \
                     PRIORITY [lindex $prios [expr {$i % 6}]] \
                     CATEGORY [lindex $cats [expr {$i % 5}]]]
        if {$i % 2 == 0} { lappend cmd CUSTOMER [lindex $uids [expr {$i % 8}]] }
        if {$i % 9 == 4} { lappend cmd ROUTE }
        lappend tids [$c {*}$cmd]
    }
    assert_equal [lindex $tids 0] [expr {[lindex $tids end] - 59}]

    # Assign (FORCE ignores skills), then reassign some to another agent.
    for {set i 0} {$i < 10} {incr i} { $c ticket.assign $d [lindex $tids $i] A1 FORCE }
    for {set i 0} {$i < 5} {incr i} { $c ticket.assign $d [lindex $tids $i] A2 FORCE }
    $c ticket.assign $d [lindex $tids 11] A1
    # Status changes, notes, updates.
    $c ticket.status $d [lindex $tids 5] in_progress
    $c ticket.status $d [lindex $tids 6] on_hold NOTE "waiting for the customer"
    $c ticket.status $d [lindex $tids 7] in_progress
    $c ticket.status $d [lindex $tids 7] open
    $c ticket.status $d [lindex $tids 8] in_progress
    for {set i 0} {$i < 10} {incr i} { $c ticket.note $d [lindex $tids $i] "note on $i" }
    $c ticket.update $d [lindex $tids 10] priority 20
    $c ticket.update $d [lindex $tids 12] category shipping subject "Moved to shipping"
    $c ticket.update $d [lindex $tids 1] priority 1 category returns body "new body"
    $c ticket.unassign $d [lindex $tids 2]
    # Close (some via STATUS), reopen some of them, delete a few.
    for {set i 20} {$i < 30} {incr i} {
        if {$i % 2} {
            $c ticket.close $d [lindex $tids $i] RESOLUTION "fixed $i"
        } else {
            $c ticket.close $d [lindex $tids $i]
        }
    }
    $c ticket.status $d [lindex $tids 30] closed NOTE "duplicate"
    $c ticket.close $d [lindex $tids 8] RESOLUTION "done while in progress"
    foreach i {20 22 24 30} { $c ticket.reopen $d [lindex $tids $i] }
    assert_equal 1 [$c ticket.del $d [lindex $tids 25]]
    assert_equal 1 [$c ticket.del $d [lindex $tids 3]]
    assert_equal 1 [$c ticket.del $d [lindex $tids 40]]
    assert_equal 0 [$c ticket.del $d [lindex $tids 40]]
    # Pull routing.
    set claimed_a2 [$c ticket.claim $d A2 COUNT 8]
    set claimed_a4 [$c ticket.claim $d A4 COUNT 4 ORDER CREATED]
    set nexts {}
    foreach a {A1 A1 A3 A3 A5} {
        set got [$c ticket.next $d $a]
        if {$got ne {}} { lappend nexts [dict get $got id] }
    }
    # Push routing of new tickets.
    for {set i 0} {$i < 4} {incr i} {
        lappend tids [$c ticket.create $d "Routed $i" PRIORITY 10 \
                          CATEGORY [lindex $cats $i] ROUTE]
    }
    # Agents come and go.
    assert_equal OK [$c agent.availability $d A3 away RELEASE]
    assert_equal OK [$c agent.availability $d A3 online]
    assert_equal OK [$c agent.availability $d A5 offline]
    assert_equal 1 [$c agent.del $d A4]
    # Customers change.
    set u1 [lindex $uids 0]
    assert_equal OK [$c customer.update $d $u1 email "renamed1@example.com" name "Renamed One"]
    assert_equal 1 [$c customer.del $d [lindex $uids 7]]
    assert_equal OK [$c desk.config $d SET auto-route yes]
    lappend tids [$c ticket.create $d "Auto routed" PRIORITY 20 CATEGORY technical]

    return [dict create tids $tids u1 $u1 created [llength $tids] deleted 3 \
                claimed_a2 $claimed_a2 claimed_a4 $claimed_a4 nexts $nexts]
}

proc rep_wait_link_up {replica} {
    wait_for_condition 100 100 {
        [string match {*master_link_status:up*} [$replica info replication]]
    } else {
        fail "replica did not connect to master"
    }
}

# Asserts DESK.CHECK reports nothing for desk $d, on the replica if it
# accepts the (write-flagged) command, otherwise with the replica made
# writable for the check only.
proc rep_check_desk {master replica d} {
    assert_equal {} [$master desk.check $d]
    if {[catch {$replica desk.check $d} res]} {
        assert_match {READONLY*} $res
        $replica config set replica-read-only no
        set res [$replica desk.check $d]
        $replica config set replica-read-only yes
    }
    assert_equal {} $res
}

start_server [list tags {"helpdesk repl"} overrides [list loadmodule $helpdesk_so]] {
    start_server [list overrides [list loadmodule $helpdesk_so]] {
        set master [srv -1 client]
        set replica [srv 0 client]
        $replica replicaof [srv -1 host] [srv -1 port]
        rep_wait_link_up $replica

        test {replica of a helpdesk workload has the master's digest} {
            set facts [rep_workload $master rep]
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
            # DESK.CONFIG is write-flagged (SET), so a read-only replica refuses GET too.
            assert_equal yes [$replica hget rep:config auto-route]
            assert_equal A1 [dict get [$replica ticket.get rep [lindex $tids end]] assigned_agent]
        }

        test {DESK.CHECK finds nothing on master and replica after the workload} {
            rep_check_desk $master $replica rep
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

        test {a replica resynced from scratch matches too} {
            # Full sync path (RDB transfer) on top of the incremental one.
            set full_syncs [s -1 sync_full]
            $replica replicaof no one
            $replica flushall
            $master ticket.create rep "After resync" PRIORITY 5 CATEGORY general
            $replica replicaof [srv -1 host] [srv -1 port]
            rep_wait_link_up $replica
            wait_for_ofs_sync $master $replica
            assert_equal [expr {$full_syncs + 1}] [s -1 sync_full]
            assert_equal [$master debug digest] [$replica debug digest]
            rep_check_desk $master $replica rep
        }
    }
}
