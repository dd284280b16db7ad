#pragma once
/// @file One pattern for owning C handles: std::unique_ptr with a stateless deleter naming the free
/// function.

#include <memory>

namespace garde::core {

template <auto Fn>
struct CDeleter {
  template <class T>
  void operator()(T* p) const noexcept {
    Fn(p);
  }
};

/// `using XmlDoc = CHandle<xmlDoc, xmlFreeDoc>;`
template <class T, auto Fn>
using CHandle = std::unique_ptr<T, CDeleter<Fn>>;

}  // namespace garde::core
