fn main() -> std::process::ExitCode {
    assetgraph::cli::main()
}
