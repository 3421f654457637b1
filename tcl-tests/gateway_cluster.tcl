# The HTTP gateway against a 3-master Redis Cluster: each desk's commands
# go to the node owning the desk's hash slot (MOVED followed, CLUSTER SLOTS
# refreshed), and a slot moved to another node is followed too.
# The gateway (build/helpdesk-http beside the module) is pointed at node 0
# only and learns the rest. Run by tcl-tests/run.
set helpdesk_so $::env(HELPDESK_SO)
set gw_bin [file join [file dirname $helpdesk_so] helpdesk-http]

source tests/helpdesk/lib/workload.tcl

# curl: {status body}
proc gwc_http {port method path {body {}}} {
    set args [list curl -g -s -o - -w "\n%{http_code}" -X $method --max-time 10]
    if {$body ne {}} { lappend args -H {Content-Type: application/json} --data-binary $body }
    lappend args "http://127.0.0.1:$port$path"
    set out [exec {*}$args]
    set lines [split $out "\n"]
    list [lindex $lines end] [join [lrange $lines 0 end-1] "\n"]
}

proc gwc_metric {port name} {
    foreach line [split [lindex [gwc_http $port GET /metrics] 1] "\n"] {
        if {[string match "$name *" $line]} { return [lindex $line 1] }
    }
    return 0
}

proc gwc_json {body filter} { exec jq -r $filter << $body }

if {![file executable $gw_bin]} {
    puts "gateway_cluster: $gw_bin not built; run make"
    exit 1
}

start_cluster 3 0 [list tags {"helpdesk gateway cluster"} overrides [list \
        cluster-enabled yes cluster-node-timeout 500 loadmodule $helpdesk_so]] {

    # A free port of the gateway stream's range; retried if taken meanwhile.
    set gw_bin [file join [file dirname $::env(HELPDESK_SO)] helpdesk-http]
    set gw_log [file join [pwd] tests tmp gateway_cluster.[pid].log]
    set gw_pid 0
    for {set try 0} {$try < 10 && !$gw_pid} {incr try} {
        set hport [expr {45500 + int(rand() * 400)}]
        set pid [exec $gw_bin --listen 127.0.0.1:$hport --redis 127.0.0.1:[srv 0 port] \
                     2>> $gw_log &]
        for {set i 0} {$i < 100} {incr i} {
            if {[catch {exec curl -s -o /dev/null http://127.0.0.1:$hport/openapi.json}] == 0} {
                set gw_pid $pid
                break
            }
            if {[catch {exec kill -0 $pid}]} break
            after 50
        }
    }
    if {!$gw_pid} { fail "gateway did not start: [exec tail -n 3 $gw_log]" }

    # Three desks whose slots are on three different masters.
    set desks {}
    set owners {}
    foreach d [list "{a}" "{b}" "{c}" "{d}" "{e}" "{f}" "{g}" "{h}" "{i}" "{j}"] {
        set o [cl_owner $d]
        if {$o ni $owners} { lappend desks $d; lappend owners $o }
        if {[llength $desks] == 3} break
    }

    test {gateway cluster: each desk's tickets land on its slot owner} {
        foreach d $desks j $owners {
            lassign [gwc_http $hport POST /v1/desks/$d/agents {{"id":"A1","name":"Ann","skills":["billing"]}}] st
            assert_equal 201 $st
            lassign [gwc_http $hport POST /v1/desks/$d/tickets {{"subject":"Refund","category":"billing"}}] st body
            assert_equal 201 $st
            assert_equal 1 [gwc_json $body .id]
            lassign [gwc_http $hport POST /v1/desks/$d/agents/A1/next] st body
            assert_equal 200 $st
            assert_equal A1 [gwc_json $body .assigned_agent]
            # Written on the owner, nowhere else.
            assert_equal A1 [dict get [R $j ticket.get $d 1] assigned_agent]
            assert_equal {} [R $j desk.check $d]
            set slot [R 0 cluster keyslot $d]
            for {set k 0} {$k < 3} {incr k} {
                if {$k != $j} { assert_equal 0 [R $k cluster countkeysinslot $slot] }
            }
        }
        # Node 0 owns one desk; the first MOVED brought the whole slot map.
        assert {[gwc_metric $hport helpdesk_http_cluster_redirects_total] >= 1}
        assert {[gwc_metric $hport helpdesk_http_cluster_slot_refreshes_total] >= 1}
    }

    test {gateway cluster: after the slot map is known, no more redirects} {
        set before [gwc_metric $hport helpdesk_http_cluster_redirects_total]
        foreach d $desks {
            for {set i 0} {$i < 5} {incr i} {
                lassign [gwc_http $hport GET /v1/desks/$d/stats] st
                assert_equal 200 $st
            }
        }
        assert_equal $before [gwc_metric $hport helpdesk_http_cluster_redirects_total]
    }

    test {gateway cluster: a desk whose slot moved is followed (MOVED)} {
        set d [lindex $desks 1]
        set src [lindex $owners 1]
        set dst [expr {($src + 1) % 3}]
        set slot [R 0 cluster keyslot $d]
        set srcid [R $src cluster myid]
        set dstid [R $dst cluster myid]
        R $dst cluster setslot $slot importing $srcid
        R $src cluster setslot $slot migrating $dstid
        set keys [R $src cluster getkeysinslot $slot 1000]
        R $src migrate 127.0.0.1 [srv -$dst port] "" 0 5000 keys {*}$keys
        for {set k 0} {$k < 3} {incr k} { R $k cluster setslot $slot node $dstid }
        set before [gwc_metric $hport helpdesk_http_cluster_redirects_total]
        lassign [gwc_http $hport POST /v1/desks/$d/tickets {{"subject":"After the move","category":"billing"}}] st body
        assert_equal 201 $st
        assert_equal 2 [gwc_json $body .id]
        assert {[gwc_metric $hport helpdesk_http_cluster_redirects_total] > $before}
        assert_equal "After the move" [dict get [R $dst ticket.get $d 2] subject]
        assert_equal 0 [R $src cluster countkeysinslot $slot]
        assert_equal {} [R $dst desk.check $d]
    }

    test {gateway cluster: a desk without a hash tag is a 400 CROSSSLOT} {
        lassign [gwc_http $hport POST /v1/desks/plain/tickets {{"subject":"x"}}] st body
        assert_equal 400 $st
        assert_equal CROSSSLOT [gwc_json $body .error.code]
    }

    exec kill $gw_pid
    if {[catch {exec grep -E {Sanitizer|runtime error} $gw_log}] == 0} {
        fail "sanitizer report in the gateway log"
    }
}
