// FunctionRef<R(Args...)>: a non-owning reference to a callable, as C++26's std::function_ref: for
// callbacks on paths that must not allocate (a training step allocates nothing; std::function may).
// The callable must outlive every call, so take it as a parameter, not as a member.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace gradnet {

template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F, std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>, int> = 0>
  FunctionRef(F&& f) noexcept  // NOLINT(google-explicit-constructor): binds like std::function
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

}  // namespace gradnet
