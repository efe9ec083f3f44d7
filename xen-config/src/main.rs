//! `xen-config`: reads an app's manifest (`apps/APP/Unikernel.toml`), applies command-line
//! overrides, and writes `NAME.xl` (xl) and `NAME.xml` (libvirt) — or an error that names the
//! field and says what would be valid, with nothing written. The library docs describe the
//! manifest; `docs/manifest.md` is the full reference.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use xen_config::{Error, Manifest, Overrides, Placement};

const USAGE: &str = "\
usage: xen-config [OPTIONS] MANIFEST

Writes NAME.xl (an xl config: xl create NAME.xl) and NAME.xml (libvirt domain XML:
virsh -c xen:/// define NAME.xml) for the app whose manifest (Unikernel.toml) is given.

Output:
  --out-dir DIR      where the configs go (default: the current directory)
  --kernel PATH      the image (default: OUT-DIR/NAME, the image beside its configs)
  --relative         xl paths relative to OUT-DIR (xl opens relative paths from its working
                     directory: run xl create there); libvirt's stay absolute
  --check            validate only; write nothing
Overrides of manifest fields:
  --name NAME  --memory MIB  --cmdline \"WORDS\"  --module PATH
  --on-poweroff A  --on-reboot A  --on-crash A   (destroy, restart, rename-restart, preserve;
                                                  on_crash also coredump-destroy, coredump-restart)
  --bridge BRIDGE  --mac MAC  --ip dhcp|ADDR/PREFIX  --gw ADDR
  --ip6 auto|off|ADDR/PREFIX  --gw6 ADDR                      (the one [[network]])
";

struct Args {
    manifest: PathBuf,
    out_dir: PathBuf,
    kernel: Option<PathBuf>,
    relative: bool,
    check: bool,
    overrides: Overrides,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Args>, Error> {
    let mut manifest = None;
    let mut out_dir = PathBuf::from(".");
    let mut kernel = None;
    let mut relative = false;
    let mut check = false;
    let mut o = Overrides::default();
    while let Some(arg) = args.next() {
        let mut value = |option: &str| {
            args.next()
                .ok_or_else(|| Error::Usage(format!("{option} needs a value")))
        };
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--out-dir" => out_dir = PathBuf::from(value(&arg)?),
            "--kernel" => kernel = Some(PathBuf::from(value(&arg)?)),
            "--relative" => relative = true,
            "--check" => check = true,
            "--name" => o.name = Some(value(&arg)?),
            "--memory" => o.memory = Some(value(&arg)?),
            "--cmdline" => o.cmdline = Some(value(&arg)?),
            "--module" => o.module = Some(absolute(Path::new(&value(&arg)?))?),
            "--on-poweroff" => o.on_poweroff = Some(value(&arg)?),
            "--on-reboot" => o.on_reboot = Some(value(&arg)?),
            "--on-crash" => o.on_crash = Some(value(&arg)?),
            "--bridge" => o.bridge = Some(value(&arg)?),
            "--mac" => o.mac = Some(value(&arg)?),
            "--ip" => o.ip = Some(value(&arg)?),
            "--gw" => o.gw = Some(value(&arg)?),
            "--ip6" => o.ip6 = Some(value(&arg)?),
            "--gw6" => o.gw6 = Some(value(&arg)?),
            option if option.starts_with('-') => {
                return Err(Error::Usage(format!("unknown option {option}")));
            }
            path => {
                if manifest.replace(PathBuf::from(path)).is_some() {
                    return Err(Error::Usage("give one manifest".into()));
                }
            }
        }
    }
    let manifest = manifest
        .ok_or_else(|| Error::Usage("no manifest given, e.g. apps/dns/Unikernel.toml".into()))?;
    Ok(Some(Args {
        manifest,
        out_dir,
        kernel,
        relative,
        check,
        overrides: o,
    }))
}

/// `path` made absolute against the working directory (lexically: it need not exist yet).
fn absolute(path: &Path) -> Result<PathBuf, Error> {
    std::path::absolute(path)
        .map_err(|e| Error::Usage(format!("cannot make {} absolute: {e}", path.display())))
}

fn run(args: Args) -> Result<(), Error> {
    let mut manifest = Manifest::read(&args.manifest)?;
    manifest.apply(&args.overrides)?;
    let deployment = manifest.validate()?;
    let out_dir = absolute(&args.out_dir)?;
    let kernel = absolute(
        &args
            .kernel
            .clone()
            .unwrap_or_else(|| out_dir.join(&deployment.name)),
    )?;
    let module = deployment.module.as_deref().map(absolute).transpose()?;
    let mut placement = Placement::absolute(manifest.label(), &kernel, module.as_deref())?;
    if args.relative {
        placement = placement.relative_to(&out_dir)?;
    }
    let outputs = xen_config::render(&deployment, &placement)?;
    if args.check {
        eprintln!("{}: valid ({})", manifest.label(), deployment.name);
        return Ok(());
    }
    if !kernel.is_file() {
        eprintln!(
            "xen-config: warning: the image {} does not exist yet (build it, or pass --kernel)",
            kernel.display()
        );
    }
    std::fs::create_dir_all(&out_dir).map_err(|source| Error::Write {
        path: out_dir.clone(),
        source,
    })?;
    for path in xen_config::write_all(&out_dir, &deployment.name, &outputs)? {
        println!("{}", path.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    match parse_args(std::env::args().skip(1)) {
        Ok(None) => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Some(args)) => match run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("xen-config: {e}");
                ExitCode::from(1)
            }
        },
        Err(e) => {
            eprintln!("xen-config: {e}");
            ExitCode::from(2)
        }
    }
}
