// SIGINT, SIGTERM and SIGHUP are taken by one thread with sigwait, never by a handler.
// Why: a handler runs on whichever thread the kernel picks, and its signal frame can land on a
// thread inside oneDNN's JIT-compiled GEMM, which then frees a corrupted pointer (Ctrl-C during
// training crashed with "corrupted size vs. prev_size" in about 4 runs of 5). With the signals
// blocked in every thread but the waiting one, a stop request is an ordinary store to a flag.
#pragma once

#include <atomic>

namespace gradnet::cli {

// First thing in main, before any other thread exists: blocks the three signals in this thread
// (and so in every thread started later, OpenMP's and oneDNN's included) and starts the waiting
// thread. Until a command asks for the flag, a signal ends the process as it would by default.
void start_stop_signal_thread();

// From now on SIGINT/SIGTERM/SIGHUP store their number in the returned flag instead of ending the
// process (train, cv, search and worker checkpoint and stop; SIGHUP checkpoints and goes on). A
// third SIGINT/SIGTERM ends the process at once (128 + signal), without a checkpoint.
std::atomic<int>* stop_flag_for_signals();

}  // namespace gradnet::cli
