# Effects replication: the form an assignment replicates in, and that an
# AOF written in the previous form still loads to the same dataset.
#
# Until issue 15 an assignment replicated the agent's counters as two
# commands (HSET D:agent:A load N, HSET D:agent:A assigned_total M); it now
# sends one (HSET D:agent:A load N assigned_total M). Both are plain Redis
# commands, so an AOF of either form replays without module logic. The
# servers run helpdesk.replication effects: that is the form under test.
# Run by tcl-tests/run; [list ...] so that $::env(...) is expanded.
set helpdesk_so $::env(HELPDESK_SO)
source tests/support/aofmanifest.tcl

# The commands of an AOF file, each a list of its arguments.
proc fx_parse_aof {data} {
    set cmds {}
    set i 0
    set n [string length $data]
    while {$i < $n} {
        set e [string first "\r\n" $data $i]
        set argc [string range $data [expr {$i + 1}] [expr {$e - 1}]]
        set i [expr {$e + 2}]
        set args {}
        for {set j 0} {$j < $argc} {incr j} {
            set e [string first "\r\n" $data $i]
            set len [string range $data [expr {$i + 1}] [expr {$e - 1}]]
            lappend args [string range $data [expr {$e + 2}] [expr {$e + 1 + $len}]]
            set i [expr {$e + 2 + $len + 2}]
        }
        lappend cmds $args
    }
    return $cmds
}

proc fx_read_aof {r} {
    set dir [lindex [$r config get dir] 1]
    set data {}
    foreach f [lsort [glob $dir/appendonlydir/*.incr.aof]] {
        set fp [open $f rb]
        append data [read $fp]
        close $fp
    }
    return [fx_parse_aof $data]
}

# Agent counter writes among the commands: {load assigned_total} pairs
# written together, and single-field HSETs of load or assigned_total.
proc fx_agent_writes {cmds} {
    set together 0
    set single 0
    foreach c $cmds {
        if {[string tolower [lindex $c 0]] ne {hset} ||
            ![string match {*:agent:*} [lindex $c 1]]} continue
        set fields [dict keys [lrange $c 2 end]]
        if {$fields eq {load assigned_total}} { incr together }
        if {[llength $fields] == 1 && [lindex $fields 0] in {load assigned_total}} { incr single }
    }
    list $together $single
}

start_server [list tags {"helpdesk effects"} \
                  overrides [list appendonly yes appendfsync always loadmodule $helpdesk_so \
                                 helpdesk.replication effects]] {
    test {an assignment replicates the agent's load and assigned_total as one HSET} {
        r agent.create fx A1 "Ann" SKILLS billing CAPACITY 5
        for {set i 1} {$i <= 4} {incr i} {
            r ticket.create fx "Charged twice $i" PRIORITY 10 CATEGORY billing
        }
        assert_equal {1 2} [r ticket.claim fx A1 COUNT 2]
        assert_equal 3 [dict get [r ticket.next fx A1] id]
        r ticket.close fx 1 RESOLUTION done
        assert_equal {} [r desk.check fx]
        set ::fx_digest [r debug digest]
        set ::fx_cmds [fx_read_aof r]
        # Three assignments: one HSET each for both counters. The close
        # moves only load, which stays a one-field HSET.
        assert_equal {3 1} [fx_agent_writes $::fx_cmds]
        assert_equal 3 [dict get [r agent.get fx A1] assigned_total]
        assert_equal 2 [dict get [r agent.get fx A1] load]
    }
}

# The same AOF rewritten in the previous form: every combined counter HSET
# split into the two HSETs the module used to send.
set defaults { appendonly {yes} appendfilename {appendonly.aof} appenddirname {appendonlydir} auto-aof-rewrite-percentage {0}}
set server_path [tmpdir server.fx-aof]
set aof_dirpath "$server_path/appendonlydir"
create_aof $aof_dirpath "$aof_dirpath/appendonly.aof.1.incr.aof" {
    foreach c $::fx_cmds {
        if {[string tolower [lindex $c 0]] eq {hset} && [string match {*:agent:*} [lindex $c 1]] &&
            [dict keys [lrange $c 2 end]] eq {load assigned_total}} {
            append_to_aof [formatCommand hset [lindex $c 1] load [lindex $c 3]]
            append_to_aof [formatCommand hset [lindex $c 1] assigned_total [lindex $c 5]]
        } else {
            append_to_aof [formatCommand {*}$c]
        }
    }
}
create_aof_manifest $aof_dirpath "$aof_dirpath/appendonly.aof.manifest" {
    append_to_manifest "file appendonly.aof.1.incr.aof seq 1 type i\n"
}

start_server_aof [list dir $server_path loadmodule $helpdesk_so] {
    test {an AOF in the previous form (two counter HSETs) loads to the same dataset} {
        set r [redis [dict get $srv host] [dict get $srv port] 0 $::tls]
        $r select 9
        assert_equal {0 7} [fx_agent_writes [fx_read_aof $r]]
        assert_equal $::fx_digest [$r debug digest]
        assert_equal {} [$r desk.check fx]
        # And the module carries on from it.
        assert_equal {2 3 4} [$r ticket.claim fx A1 COUNT 3]
        assert_equal {} [$r desk.check fx]
        $r close
    }
}
