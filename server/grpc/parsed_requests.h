// ParsedRequests: makes a generated callback service take its requests as
// raw bytes and parse them with ParseRequest (request_parsing.h), so that a
// body that does not parse is answered INVALID_ARGUMENT with the reason
// instead of gRPC's bare UNIMPLEMENTED.
//
// A service derives from ParsedRequests<v1::X::CallbackService> and, in its
// constructor, calls ParseUnary("Method", &Service::Method) for each unary
// method; the typed handler it already has is then called with the parsed
// request, exactly as gRPC would have called it. Streaming methods register
// their own raw handler with MarkRawCallback. Request and response of a
// unary call live on one protobuf arena freed when the call ends, so a
// request pointer stays valid until the handler finishes its reactor.
//
// Access: once set_access_control() is called (serve always does), every
// unary call is first let in by AccessControl::Admit (access_control.h)
// — before its bytes are parsed — and refused with its status otherwise;
// streaming handlers call Admit() first thing. Without an access control
// (in-process tests) every call is let in as the local caller.
//
// Thread-safety: registration happens in the constructor, before the
// service is registered with a server; the handlers are as thread-safe as
// the typed methods they call.
#ifndef LANTERN_SERVER_GRPC_PARSED_REQUESTS_H_
#define LANTERN_SERVER_GRPC_PARSED_REQUESTS_H_

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "grpcpp/support/message_allocator.h"
#include "server/grpc/access_control.h"
#include "server/grpc/request_parsing.h"
#include "server/grpc/status_map.h"

namespace lantern {

template <typename Generated>
class ParsedRequests : public Generated {
 public:
  // REQUIRES: called before the service is registered; `access` outlives
  // the service.
  void set_access_control(AccessControl* access) { access_ = access; }

 protected:
  // The call's caller, let in (see AccessControl::Admit); its refusal
  // otherwise. `method` is the full name, "/lantern.v1.Audit/Backtest".
  absl::StatusOr<Caller> Admit(const grpc::ServerContextBase& context,
                               absl::string_view method) const {
    if (access_ == nullptr) return Caller{"local", RoleSet::All()};
    return access_->Admit(context, method);
  }
  // The caller of a call already let in.
  Caller CallerOf(const grpc::ServerContextBase& context) const {
    if (access_ == nullptr) return Caller{"local", RoleSet::All()};
    return access_->Identify(context);
  }
  // Null in in-process tests.
  AccessControl* access_control() const { return access_; }

  // The generated handler of `method` (a unary method of the service named
  // `service_name`) is replaced by one that parses the request itself and
  // then calls `typed` on `this`.
  template <typename Service, typename Request, typename Response>
  void ParseUnary(
      const std::string& service_name, const std::string& method,
      grpc::ServerUnaryReactor* (Service::*typed)(grpc::CallbackServerContext*,
                                                  const Request*, Response*)) {
    auto* service = static_cast<Service*>(this);
    const std::string full = "/" + service_name + "/" + method;
    auto* handler =
        new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, Response>(
            [service, typed, full](grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* raw,
                                   Response* response) {
              if (absl::StatusOr<Caller> caller =
                      service->Admit(*context, full);
                  !caller.ok()) {
                grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
                reactor->Finish(ToGrpcStatus(caller.status()));
                return reactor;
              }
              Request* request =
                  google::protobuf::Arena::CreateMessage<Request>(
                      response->GetArena());
              absl::Status parsed = ParseRequest(*raw, request);
              if (!parsed.ok()) {
                grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
                reactor->Finish(ToGrpcStatus(parsed));
                return reactor;
              }
              return (service->*typed)(context, request, response);
            });
    handler->SetMessageAllocator(ArenaAllocator<Response>());
    this->MarkMethodCallback(MethodIndex(service_name, method), handler);
  }

  // Registers `handler` (a grpc::internal::Callback*Handler over
  // grpc::ByteBuffer requests) for `method`.
  void MarkRawCallback(const std::string& service_name,
                       const std::string& method,
                       grpc::internal::MethodHandler* handler) {
    this->MarkMethodCallback(MethodIndex(service_name, method), handler);
  }

 private:
  template <typename Response>
  class ArenaMessages : public grpc::MessageHolder<grpc::ByteBuffer, Response> {
   public:
    ArenaMessages() {
      this->set_request(&raw_);
      this->set_response(
          google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }
    void Release() override { delete this; }

   private:
    grpc::ByteBuffer raw_;
    google::protobuf::Arena arena_;
  };

  template <typename Response>
  class Allocator : public grpc::MessageAllocator<grpc::ByteBuffer, Response> {
   public:
    grpc::MessageHolder<grpc::ByteBuffer, Response>* AllocateMessages()
        override {
      return new ArenaMessages<Response>;
    }
  };

  // Stateless, so one per response type serves every service.
  template <typename Response>
  static Allocator<Response>* ArenaAllocator() {
    static auto* allocator = new Allocator<Response>;
    return allocator;
  }

  // The method's index in the service, which is its index in the generated
  // class (both follow the .proto's order).
  static int MethodIndex(const std::string& service_name,
                         const std::string& method) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            service_name);
    GPR_ASSERT(service != nullptr);
    const google::protobuf::MethodDescriptor* m =
        service->FindMethodByName(method);
    GPR_ASSERT(m != nullptr);
    return m->index();
  }

  AccessControl* access_ = nullptr;
};

}  // namespace lantern

#endif  // LANTERN_SERVER_GRPC_PARSED_REQUESTS_H_
