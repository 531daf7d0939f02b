// Requests that do not parse. gRPC's C++ callback API answers a unary or
// server-streaming call whose request message fails to parse (invalid
// UTF-8 in a string field, a truncated or malformed message) with
// UNIMPLEMENTED and no message, before any handler runs, so the call gate
// never sees it. A server interceptor sees the missing message and turns
// that answer into INVALID_ARGUMENT with a message a person can act on,
// and has the gate audit the refusal.
//
// Not covered, because gRPC C++ does not tell them apart: an unparseable
// message inside a client stream (SubmitReports) reaches the handler as the
// end of the client's stream (OnReadDone(false)); the stream then ends
// with every earlier item answered and that one without an answer.
#ifndef HIRS_SERVICES_RPC_UNPARSEABLE_H_
#define HIRS_SERVICES_RPC_UNPARSEABLE_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>

#include "services/rpc/gate.h"

namespace hirs::rpc {

// The interceptor's factory, for ServerBuilder::experimental()
// .SetInterceptorCreators. `gate` is borrowed and must outlive the server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> UnparseableRequestInterceptor(CallGate* gate);

}  // namespace hirs::rpc

#endif  // HIRS_SERVICES_RPC_UNPARSEABLE_H_
