// The benchmarks' main(): like tests/main.cpp, it holds the one saml::LibraryGuard (libxml2, xmlsec
// and its OpenSSL backend) for as long as any benchmark runs. BENCHMARK_MAIN() cannot, since the
// guard must outlive RunSpecifiedBenchmarks() and be created before any key or message is prepared.

#include <benchmark/benchmark.h>

#include "saml/xml.h"

int main(int argc, char** argv) {
  const garde::saml::LibraryGuard guard;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
