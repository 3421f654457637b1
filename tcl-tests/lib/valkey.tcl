# valkey.tcl -- adaptations of Redis 7.0's Tcl test framework to Valkey 8.
# tcl-tests/run sources this into the sandbox's test_helper.tcl (after the
# framework's own procs, before it starts) only when SERVER=valkey.
#
# Valkey 8 writes the SELECT that starts a command's effects in a new db
# inside the MULTI ("multi, select 9, ...") where Redis 7.0 writes it before
# ("select 9, multi, ..."). Both mean the same. read_from_replication_stream
# hands suites the Redis order, so one expected stream fits both servers.

rename read_from_replication_stream valkey_read_from_replication_stream
set ::valkey_repl_pending {}

proc read_from_replication_stream {s} {
    if {[dict exists $::valkey_repl_pending $s]} {
        set cmd [dict get $::valkey_repl_pending $s]
        dict unset ::valkey_repl_pending $s
        return $cmd
    }
    set cmd [valkey_read_from_replication_stream $s]
    if {$cmd ne {multi}} { return $cmd }
    set next [valkey_read_from_replication_stream $s]
    if {[lindex $next 0] eq {select}} {
        dict set ::valkey_repl_pending $s $cmd
        return $next
    }
    if {$next ne {}} { dict set ::valkey_repl_pending $s $next }
    return $cmd
}
