/// mimalloc: loads and pushes allocate and free millions of small terms;
/// glibc's allocator spent a sixth of a 1M-triple load in malloc and free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    assetgraph::cli::main()
}
