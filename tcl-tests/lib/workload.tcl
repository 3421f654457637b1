# Workloads shared by the helpdesk Tcl suites (not a suite itself:
# tcl-tests/run copies tcl-tests/lib/ next to the suites, which source it
# as tests/helpdesk/lib/workload.tcl).

# A scripted workload on desk $d through client $c: customers, agents with
# skills, 60 tickets of mixed priorities and categories, then assign,
# reassign, status changes, notes, updates, close, reopen, delete, CLAIM,
# NEXT, CREATE ... ROUTE, AVAILABILITY ... RELEASE, AGENT.DEL,
# CUSTOMER.UPDATE email, DESK.CONFIG SET. Every command must succeed (an
# error reply raises). Returns a dict of facts for the caller to check.
proc hd_workload {c d} {
    # Flood detection off: the tickets below share their wording.
    assert_equal OK [$c desk.config SET $d flood-threshold 0]
    assert_equal OK [$c desk.config SET $d default-capacity 10]
    assert_equal OK [$c desk.config SET $d sla.10 7200]

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
    assert_equal OK [$c desk.config SET $d auto-route yes]
    lappend tids [$c ticket.create $d "Auto routed" PRIORITY 20 CATEGORY technical]

    return [dict create tids $tids u1 $u1 created [llength $tids] deleted 3 \
                claimed_a2 $claimed_a2 claimed_a4 $claimed_a4 nexts $nexts]
}

# --- random workload --------------------------------------------------------

# A small LCG so a seed always gives the same sequence of commands.
proc hd_rand {n} {
    set ::hd_rng [expr {($::hd_rng * 1103515245 + 12345) % 2147483648}]
    return [expr {($::hd_rng >> 8) % $n}]
}
proc hd_pick {l} { lindex $l [hd_rand [llength $l]] }

# Refusals the module may rightly give to a random command. Anything else
# (ERR syntax, WRONGTYPE, unknown command, a dropped connection) fails.
proc hd_expected_refusal {err} {
    regexp {^(NOTFOUND|EXISTS|INVALID|STATE|CAPACITY|UNAVAILABLE|CONFLICT) } $err
}

# $nops random commands on desk $d (ids and names from small pools so that
# commands hit existing things and collide). Returns {ok refused}.
proc hd_random_workload {c d seed nops} {
    set ::hd_rng $seed
    set cats {billing technical shipping returns account general}
    set agents {R1 R2 R3 R4 R5 R6}
    $c desk.config SET $d flood-threshold 0
    foreach a {R1 R2 R3} {
        catch {$c agent.create $d $a "Agent $a" SKILLS [hd_pick $cats] [hd_pick $cats] CAPACITY [expr {3 + [hd_rand 5]}]}
    }
    set uids {}
    set tids {}
    set ok 0
    set refused 0
    for {set n 0} {$n < $nops} {incr n} {
        set t [expr {[llength $tids] ? [hd_pick $tids] : 1}]
        set a [hd_pick $agents]
        set r [hd_rand 100]
        if {$r < 22} {
            set cmd [list ticket.create $d "Issue [hd_rand 1000] [hd_pick $cats]" \
                         PRIORITY [hd_pick {1 5 10 20 7 300}] CATEGORY [hd_pick $cats]]
            if {[llength $uids] && [hd_rand 2]} { lappend cmd CUSTOMER [hd_pick $uids] }
            if {[hd_rand 4] == 0} { lappend cmd BODY "details [hd_rand 100000]" }
            if {[hd_rand 5] == 0} { lappend cmd SLA [expr {3600 + [hd_rand 86400]}] }
            if {[hd_rand 4] == 0} { lappend cmd ROUTE }
        } elseif {$r < 30} {
            set cmd [list ticket.assign $d $t $a]
            if {[hd_rand 3] == 0} { lappend cmd FORCE }
        } elseif {$r < 34} {
            set cmd [list ticket.unassign $d $t]
        } elseif {$r < 42} {
            set cmd [list ticket.status $d $t [hd_pick {open in_progress on_hold closed}]]
            if {[hd_rand 3] == 0} { lappend cmd NOTE "why [hd_rand 100]" }
        } elseif {$r < 46} {
            set cmd [list ticket.note $d $t "note [hd_rand 1000]"]
        } elseif {$r < 52} {
            set cmd [list ticket.update $d $t [hd_pick {priority category subject}]]
            switch [lindex $cmd end] {
                priority { lappend cmd [hd_pick {1 5 10 20 999}] }
                category { lappend cmd [hd_pick $cats] }
                subject { lappend cmd "Renamed [hd_rand 100]" }
            }
        } elseif {$r < 58} {
            set cmd [list ticket.close $d $t]
            if {[hd_rand 2]} { lappend cmd RESOLUTION "resolved [hd_rand 100]" }
        } elseif {$r < 63} {
            set cmd [list ticket.reopen $d $t]
        } elseif {$r < 66} {
            set cmd [list ticket.del $d $t]
        } elseif {$r < 71} {
            set cmd [list ticket.claim $d $a COUNT [expr {1 + [hd_rand 3]}] \
                         ORDER [hd_pick {PRIORITY CREATED}]]
        } elseif {$r < 78} {
            set cmd [list ticket.next $d $a]
        } elseif {$r < 82} {
            set cmd [list agent.availability $d $a [hd_pick {online online away offline}]]
            if {[hd_rand 2]} { lappend cmd RELEASE }
        } elseif {$r < 85} {
            set cmd [list agent.skills $d $a [hd_pick {ADD ADD REMOVE}] [hd_pick $cats]]
        } elseif {$r < 89} {
            set cmd [list agent.create $d $a "Agent $a" SKILLS [hd_pick $cats] \
                         CAPACITY [expr {2 + [hd_rand 6]}]]
        } elseif {$r < 90} {
            set cmd [list agent.del $d $a]
        } elseif {$r < 94} {
            set cmd [list customer.create $d "Cust [hd_rand 50]" "c[hd_rand 50]@example.com"]
        } elseif {$r < 96} {
            if {![llength $uids]} continue
            set cmd [list customer.update $d [hd_pick $uids] email "u[hd_rand 50]@example.org"]
        } elseif {$r < 97} {
            if {![llength $uids]} continue
            set cmd [list customer.del $d [hd_pick $uids]]
        } else {
            set cmd [list desk.config SET $d {*}[hd_pick {
                {default-capacity 6} {default-capacity 12} {auto-route yes}
                {auto-route no} {sla.20 1800} {sla.5 100000}}]]
        }
        if {[catch {$c {*}$cmd} res]} {
            if {![hd_expected_refusal $res]} { fail "'$cmd' replied '$res'" }
            incr refused
            continue
        }
        incr ok
        switch [lindex $cmd 0] {
            ticket.create { lappend tids $res }
            customer.create { lappend uids $res }
        }
    }
    return [list $ok $refused]
}

# Waits until a replica's link to its master is up.
proc hd_wait_link_up {replica} {
    wait_for_condition 100 100 {
        [string match {*master_link_status:up*} [$replica info replication]]
    } else {
        fail "replica did not connect to its master"
    }
}

# DESK.CHECK of desk $d on $c, which may be a read-only replica (the command
# is write-flagged because of REPAIR).
proc hd_desk_check {c d} {
    if {[catch {$c desk.check $d} res]} {
        assert_match {READONLY*} $res
        $c config set replica-read-only no
        set res [$c desk.check $d]
        $c config set replica-read-only yes
    }
    return $res
}

# Index (for R / Rn) of the master serving the slot of $key.
proc cl_owner {key} {
    set slot [R 0 cluster keyslot $key]
    foreach range [R 0 cluster slots] {
        lassign $range first last master
        if {$slot >= $first && $slot <= $last} {
            set port [lindex $master 1]
            for {set j 0} {$j < 3} {incr j} {
                if {[srv -$j port] == $port} { return $j }
            }
        }
    }
    fail "no node serves slot $slot of $key"
}
