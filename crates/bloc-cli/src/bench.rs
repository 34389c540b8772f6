//! `bloc bench`: placeholder replaced below.
use clap::Args;

/// Options of `bloc bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {}

pub fn run(_args: &BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
