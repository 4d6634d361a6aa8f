// `mpirun -np N gradnet search`: the messages between the master (rank 0, the only process that
// opens study.db) and the workers (ranks 1..N-1). Each is one small JSON object.
//
// worker -> master, tag request, answered on tag reply (worker requests one at a time):
//   {"op": "hello", "worker": "host:pid"}                 -> {}
//   {"op": "next"}                                        -> {"kind": "trial"|"wait"|"finished", "why",
//                                                            "number", "stage", "params", "run_dir", "attempts"}
//   {"op": "report", "number", "epoch", "value"}          -> {}
//   {"op": "values_at", "stage", "epoch", "except"}       -> {"values": [...]}
//   {"op": "finish", "number", "state", "value", "message"} -> {"owned": bool}
//   {"op": "release", "number", "message"}                -> {}
// worker -> master, tag request, no answer:
//   {"op": "beat"}     the worker's trial is alive (at most every heartbeat period, while it trains)
//   {"op": "bye"}      the worker's last message (optionally "error": what ended it)
// master -> worker, tag stop, unsolicited: {"signal": n} (the master was interrupted: checkpoint
// the running trial, give it back, say bye). A failed request is answered {"error": "..."}.
#pragma once

#include <algorithm>

namespace gradnet::search::mpi {

constexpr int tag_request = 101;
constexpr int tag_reply = 102;
constexpr int tag_stop = 103;

// How often a training worker says it is alive: the local workers' heartbeat period.
inline double heartbeat_period(double heartbeat_timeout) { return std::clamp(heartbeat_timeout / 4, 0.2, 5.0); }

}  // namespace gradnet::search::mpi
