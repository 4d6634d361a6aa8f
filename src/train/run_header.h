// What a run starts from, for the caller's TrainCallbacks::on_start (the CLI's header): the data
// sizes, the net layer by layer, the optimizer and schedule in one line, the keys that differ
// from the defaults, and for a resumed run the checkpoint and where it left off.
#pragma once

#include "gradnet/train/trainer.h"

namespace gradnet {

TrainStart describe_run_start(Trainer& trainer);

}  // namespace gradnet
