// Private to the proto adapter (proto_adapter.cc, proto_adapter_encode.cc):
// a new, empty message of a descriptor's type. Compiled-in types use their
// generated classes; others (types from a pool built at run time) a dynamic
// factory, which the result owns so that it outlives the message.
//
// Thread-safety: the returned object is owned by one caller.
#ifndef LANTERN_ENGINE_PROTO_INTERNAL_PROTO_ADAPTER_MESSAGE_H_
#define LANTERN_ENGINE_PROTO_INTERNAL_PROTO_ADAPTER_MESSAGE_H_

#include <memory>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"

namespace lantern {

struct OwnedMessage {
  // Declared first, destroyed last: `message` may be one of its instances.
  std::unique_ptr<::google::protobuf::DynamicMessageFactory> factory;
  std::unique_ptr<::google::protobuf::Message> message;
};

// REQUIRES: `type` is non-null.
inline OwnedMessage NewMessageOf(const ::google::protobuf::Descriptor* type) {
  OwnedMessage out;
  const ::google::protobuf::Message* prototype =
      ::google::protobuf::MessageFactory::generated_factory()->GetPrototype(
          type);
  if (prototype == nullptr) {
    out.factory = std::make_unique<::google::protobuf::DynamicMessageFactory>();
    prototype = out.factory->GetPrototype(type);
  }
  out.message.reset(prototype->New());
  return out;
}

}  // namespace lantern

#endif  // LANTERN_ENGINE_PROTO_INTERNAL_PROTO_ADAPTER_MESSAGE_H_
