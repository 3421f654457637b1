# Cluster mode: a desk name needs a hash tag so that all its keys share one
# slot; commands then work on the node owning that slot.
# start_cluster (tests/support/cluster_helper.tcl) puts its own
# "overrides {cluster-enabled yes cluster-node-timeout 500}" first and ours
# after; start_server keeps only the last overrides, so ours repeat them.
# Run by tcl-tests/run; [list ...] so that $::env(...) is expanded.
set helpdesk_so $::env(HELPDESK_SO)

source tests/helpdesk/lib/workload.tcl

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

# Index of some master that does not serve $key.
proc cl_other {key} { expr {([cl_owner $key] + 1) % 3} }

# Every key of node $j lives in the slot of one of the $desks.
proc cl_keys_in_desk_slots {j desks} {
    set inslots 0
    set slots {}
    foreach d $desks {
        set slot [R $j cluster keyslot $d]
        if {$slot ni $slots} {
            lappend slots $slot
            incr inslots [R $j cluster countkeysinslot $slot]
        }
    }
    assert_equal [R $j dbsize] $inslots
}

start_cluster 3 0 [list tags {"helpdesk cluster"} overrides [list \
        cluster-enabled yes cluster-node-timeout 500 loadmodule $helpdesk_so]] {

    test {cluster: every node runs the module} {
        for {set j 0} {$j < 3} {incr j} {
            assert_equal cluster_enabled:1 [string trim [lsearch -inline [split [R $j info cluster] "\n"] cluster_enabled:*]]
            assert_equal helpdesk [dict get [lindex [R $j module list] 0] name]
        }
    }

    test {cluster: a desk without a hash tag fails CROSSSLOT on its own node} {
        # No tag, an empty tag, an unclosed tag, braces in the wrong order.
        set untagged [list plain help shop support "\{\}help" "help\{" "x\{\}" "\}x\{"]
        foreach d $untagged {
            # Redis routes by the desk name; that node's module refuses it
            # before anything is written.
            set j [cl_owner $d]
            assert_error {CROSSSLOT*} {R $j ticket.create $d "Subject" PRIORITY 5}
            assert_error {CROSSSLOT*} {R $j customer.create $d Ann ann@example.com}
            assert_error {CROSSSLOT*} {R $j agent.create $d A1 Ann}
            assert_error {CROSSSLOT*} {R $j ticket.get $d 1}
            assert_error {CROSSSLOT*} {R $j desk.stats $d}
        }
        for {set j 0} {$j < 3} {incr j} { assert_equal 0 [R $j dbsize] }
    }

    test {cluster: a desk goes to the node owning its slot (MOVED elsewhere)} {
        set d "{help}"
        set j [cl_owner $d]
        set slot [R 0 cluster keyslot $d]
        assert_equal $slot [R 0 cluster keyslot help]
        assert_error "MOVED $slot *" {R [cl_other $d] ticket.create $d "Wrong node"}
        assert_error "MOVED $slot *" {R [cl_other $d] ticket.get $d 1}
        assert_equal 0 [R [cl_other $d] dbsize]
    }

    test {cluster: a small workload on desk {help} works on its node} {
        set d "{help}"
        set j [cl_owner $d]
        set uid [R $j customer.create $d "Ann Smith" ann@example.com]
        assert_equal OK [R $j agent.create $d A1 Bob SKILLS billing CAPACITY 3]
        assert_equal OK [R $j agent.create $d A2 Cy SKILLS technical]
        set t1 [R $j ticket.create $d "Double charge" PRIORITY 20 CATEGORY billing CUSTOMER $uid]
        set t2 [R $j ticket.create $d "Login fails" PRIORITY 10 CATEGORY technical ROUTE]
        set t3 [R $j ticket.create $d "Question" PRIORITY 1 CATEGORY general]
        assert_equal [expr {$t1 + 1}] $t2
        assert_equal A2 [dict get [R $j ticket.get $d $t2] assigned_agent]
        set got [R $j ticket.next $d A1]
        assert_equal $t1 [dict get $got id]
        assert_equal A1 [dict get $got assigned_agent]
        assert_equal [list $t1 $t3] [R $j ticket.claim $d A1]
        assert_equal OK [R $j ticket.status $d $t1 in_progress]
        assert_equal OK [R $j ticket.close $d $t1 RESOLUTION "refunded"]
        assert_equal OK [R $j ticket.reopen $d $t1]
        assert_equal OK [R $j ticket.note $d $t3 "asked for details"]
        assert_equal [list $t1] [R $j customer.tickets $d $uid]
        assert_equal {open 3 in_progress 0 on_hold 0 closed 0 merged 0} [R $j ticket.counts $d]
        assert_equal {} [R $j desk.check $d]
        # Every key of the desk is in the desk's slot.
        set slot [R $j cluster keyslot $d]
        assert {[R $j dbsize] > 10}
        assert_equal [R $j dbsize] [R $j cluster countkeysinslot $slot]
        assert_equal $uid [dict get [R $j customer.find $d ann@example.com] id]
    }

    test {cluster: a blocked TICKET.NEXT on the desk's node is served} {
        set d "queue{blk}"
        set j [cl_owner $d]
        R $j agent.create $d A1 Ann SKILLS returns
        set rd [redis_deferring_client -$j]
        $rd ticket.next $d A1 BLOCK 0
        wait_for_blocked_clients_count 1 100 10 -$j
        set tid [R $j ticket.create $d "Broken on arrival" PRIORITY 10 CATEGORY returns]
        set got [$rd read]
        $rd close
        assert_equal $tid [dict get $got id]
        assert_equal A1 [dict get $got assigned_agent]
        assert_equal {} [R $j desk.check $d]
    }

    test {cluster: tagged desks on every node each stay consistent} {
        # Pick tagged desk names until every node serves at least two.
        set desks {}
        set per {0 0 0}
        foreach tag {eu us apac latam emea nordics africa oceania india japan korea} {
            foreach d [list "{$tag}" "shop{$tag}"] {
                set j [cl_owner $d]
                if {[lindex $per $j] < 2} {
                    lappend desks $d
                    lset per $j [expr {[lindex $per $j] + 1}]
                }
            }
        }
        assert_equal {2 2 2} $per
        set seed 3
        foreach d $desks {
            set j [cl_owner $d]
            lassign [hd_random_workload [Rn $j] $d [incr seed] 150] ok refused
            assert {$ok > 50}
        }
        foreach d $desks {
            set j [cl_owner $d]
            assert_equal {} [R $j desk.check $d]
            assert {[R $j exists "$d:seq:tickets"]}
        }
        for {set j 0} {$j < 3} {incr j} {
            cl_keys_in_desk_slots $j [concat $desks "{help}" "queue{blk}"]
        }
    }
}
