//! The process runtime's supervisor as a program of its own (for tests; ao
//! itself runs it as `ao runtime-supervisor ...`).

fn main() -> std::process::ExitCode {
    ao_runtime::process::supervisor::main(std::env::args().skip(1))
}
