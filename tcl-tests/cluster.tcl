# Cluster mode: a desk name needs a hash tag so that all its keys share one
# slot; commands then work on the node owning that slot.
# start_cluster (tests/support/cluster_helper.tcl) puts its own
# "overrides {cluster-enabled yes cluster-node-timeout 500}" first and ours
# after; start_server keeps only the last overrides, so ours repeat them.
# Run by tcl-tests/run; [list ...] so that $::env(...) is expanded.
set helpdesk_so $::env(HELPDESK_SO)

source tests/helpdesk/lib/workload.tcl

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
    test {cluster: a workload through redis-cli -c reaches each desk's node} {
        # One tagged desk per node; every command goes to a node that does
        # NOT own the desk, so redis-cli -c has to follow MOVED.
        set desks {}
        set owners {}
        for {set i 0} {[llength $desks] < 3 && $i < 200} {incr i} {
            set d "desk{cli$i}"
            set j [cl_owner $d]
            if {$j ni $owners} {
                lappend desks $d
                lappend owners $j
            }
        }
        assert_equal {0 1 2} [lsort $owners]
        set before {}
        for {set j 0} {$j < 3} {incr j} { lappend before [R $j dbsize] }
        foreach d $desks j $owners {
            set via [srv -[cl_other $d] port]
            set cli [list src/redis-cli -c -p $via]
            assert_equal OK [exec {*}$cli desk.config SET $d flood-threshold 0]
            assert_equal OK [exec {*}$cli agent.create $d A1 Ann SKILLS billing CAPACITY 5]
            assert_equal 1 [exec {*}$cli customer.create $d Cat cat@example.com]
            assert_equal 1 [exec {*}$cli ticket.create $d "Charged twice" PRIORITY 20 CATEGORY billing CUSTOMER 1]
            assert_equal 2 [exec {*}$cli ticket.create $d "Wrong size" PRIORITY 5 CATEGORY billing]
            assert_equal 3 [exec {*}$cli ticket.create $d "A question" PRIORITY 1 CATEGORY general]
            set next [split [exec {*}$cli ticket.next $d A1] "\n"]
            assert_equal {id 1} [lrange $next 0 1]
            assert_equal {1 2} [split [exec {*}$cli ticket.claim $d A1 COUNT 2] "\n"]
            assert_equal OK [exec {*}$cli ticket.status $d 1 in_progress]
            assert_equal OK [exec {*}$cli ticket.close $d 1 RESOLUTION refunded]
            assert_match {*-*} [exec {*}$cli ticket.msg $d 2 customer:1 "any news?"]
            assert_equal 1 [exec {*}$cli ticket.state.set $d 2 {{"facts":{"size":"M"}}}]
            assert_equal closed [exec {*}$cli hget "$d:ticket:1" status]
            assert_equal {open 2 in_progress 0 on_hold 0 closed 1 merged 0} \
                [split [exec {*}$cli ticket.counts $d] "\n"]
            assert_equal {} [exec {*}$cli desk.check $d]
            # The data is on the owner, in the desk's slot, and consistent.
            assert_equal {} [R $j desk.check $d]
            assert_equal 3 [R $j get "$d:seq:tickets"]
            assert_equal {2} [dict get [R $j agent.get $d A1] open_tickets]
            assert_equal refunded [dict get [R $j ticket.get $d 1] resolution]
            assert_equal 1 [R $j xlen "$d:ticket:2:chat"]
        }
        # One redis-cli -c session, commands for all three desks read from
        # stdin: each is redirected to its own node.
        set script ""
        foreach d $desks { append script "ticket.create $d \"From one session\" PRIORITY 10 CATEGORY billing\n" }
        foreach d $desks { append script "ticket.next $d A1\n" }
        set out {}
        set redirects 0
        foreach line [split [exec src/redis-cli -c -p [srv 0 port] << $script] "\n"] {
            if {[string match {-> Redirected to slot*} $line]} { incr redirects } else { lappend out $line }
        }
        # Node 0 owns one desk; the other two need a redirection each way.
        assert {$redirects >= 2}
        assert_equal {4 4 4} [lrange $out 0 2]
        assert_equal 3 [llength [lsearch -all -exact $out A1]]
        foreach d $desks j $owners {
            assert_equal A1 [dict get [R $j ticket.get $d 4] assigned_agent]
            assert_equal {} [R $j desk.check $d]
        }
        # Only the owners grew, and every key is in a desk's slot.
        for {set j 0} {$j < 3} {incr j} {
            set d [lindex $desks [lsearch $owners $j]]
            set slot [R $j cluster keyslot $d]
            assert_equal [expr {[lindex $before $j] + [R $j cluster countkeysinslot $slot]}] [R $j dbsize]
        }
        # An untagged desk name: a clear CROSSSLOT error, nothing written.
        set sizes {}
        for {set j 0} {$j < 3} {incr j} { lappend sizes [R $j dbsize] }
        foreach d {plainshop help} {
            catch {exec src/redis-cli -e -c -p [srv 0 port] ticket.create $d "No tag" PRIORITY 5} err
            assert_match "CROSSSLOT *desk name must contain a hash tag*" [lindex [split $err "\n"] 0]
            # (Without a tag the desk's keys hash anywhere: ask their own node.)
            assert_equal 0 [R [cl_owner "$d:seq:tickets"] exists "$d:seq:tickets"]
        }
        for {set j 0} {$j < 3} {incr j} { assert_equal [lindex $sizes $j] [R $j dbsize] }
    }
}
