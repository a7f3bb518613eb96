// RuleSetWorker: the one background thread that runs the slow ruleset
// work — loading, compiling and testing candidates for Validate, Activate
// and SIGHUP reloads — so that gRPC handlers never block on it.
//
// Tasks run one at a time in the order posted, which also serialises
// activations: two reloads never race to install. The destructor runs the
// tasks already posted and joins the thread.
//
// Thread-safety: Post may be called from any thread.
#ifndef LANTERN_SERVER_APP_RULESET_WORKER_H_
#define LANTERN_SERVER_APP_RULESET_WORKER_H_

#include "server/app/worker_thread.h"

namespace lantern {

using RuleSetWorker = WorkerThread;

}  // namespace lantern

#endif  // LANTERN_SERVER_APP_RULESET_WORKER_H_
