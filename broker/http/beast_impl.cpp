// The one translation unit that compiles Beast and Asio (separate compilation): every other TU of
// garde_broker and of its tests sees BOOST_BEAST_SEPARATE_COMPILATION /
// BOOST_ASIO_SEPARATE_COMPILATION (PUBLIC definitions in broker/CMakeLists.txt) and only
// declarations. Keeps build times down.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
