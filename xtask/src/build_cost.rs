pub fn run(_root: &std::path::Path, _args: &[String]) -> bool {
    false
}
