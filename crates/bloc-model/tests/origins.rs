//! Rules of origin (design §8), worked by hand on small worlds written as scenario folders.
//!
//! Every world here has yearly periods, straight-line curves and supply blocks whose marginal
//! cost is `unit + q` (capacity 100, rise 100), so each answer is a line or two of algebra,
//! given in the test's comment.

mod common;

use common::{cell, close, consumed, go, indicator, price, shipped};
use std::path::Path;

/// Writes a scenario folder of one oxide `ox` and one metal `x`, yearly, 2026–2027.
fn world(
    dir: &Path,
    regions: &[&str],
    processes: &str,
    inputs: &str,
    demand: &str,
    transport: &str,
    extra: &str,
) {
    common::write(
        dir,
        &common::Tables {
            regions,
            commodities: "ox,test,separated,Oxide,\nx,test,metal,Metal,\n",
            processes,
            inputs,
            demand,
            transport,
            extra,
            ..Default::default()
        },
    );
}

/// China C (mc 10 + q), a third country M (mc 30 + q), a member U (p = 100 − q); routes C→U,
/// C→M, M→U at 5 each. C's goods are tracked; `extra` adds the measure.
fn three(dir: &Path, extra: &str) {
    world(
        dir,
        &["C", "M", "U"],
        "c_mine,C,x,100,10,100,a\nm_mine,M,x,100,30,100,a\n",
        "",
        "U,x,linear,50,50,-1,0,a\n",
        "C,U,x,5,a\nC,M,x,5,a\nM,U,x,5,a\n",
        &format!("[bloc]\nmembers = [{{ region = \"U\", from = \"2026\" }}]\n{extra}"),
    );
}

const BAN: &str = "[[export_control]]\nexporter = \"C\"\ncommodities = [\"x\"]\ndestinations = [\"U\"]\nkind = \"ban\"\n";

/// Free trade: p_C = p_M = p_U − 5 = p; supply (p − 10) + (p − 30) = demand 95 − p → p = 45,
/// p_U = 50, C ships 35 and M 15.
///
/// A ban of C to U under `last_shipper`: C's goods go C → M → U at two legs, p_C = p_U − 10,
/// p_M = p_U − 5: (p_U − 20) + (p_U − 35) = 100 − p_U → p_U = 155/3 = 51.667; C ships
/// 31.667 through M, all of it transshipped (leakage share 1).
///
/// Under `origin`: C's goods may not reach U from anywhere; U is served by M alone:
/// p_U − 35 = 100 − p_U → p_U = 67.5, 32.5 t, nothing transshipped.
#[test]
fn a_ban_leaks_through_a_third_country_under_last_shipper_only() {
    let tmp = tempfile::tempdir().unwrap();
    let free = tmp.path().join("free");
    three(&free, "[origin]\ntrack = [\"C\"]\n");
    let r = go(&free);
    close(price(&r, "U", "x"), 50.0, "free trade p_U");
    close(shipped(&r, "x", "C", "U"), 35.0, "free trade C→U");

    let leaky = tmp.path().join("leaky");
    three(&leaky, &format!("{BAN}[origin]\nrule = \"last_shipper\"\n"));
    let r = go(&leaky);
    close(price(&r, "U", "x"), 155.0 / 3.0, "last_shipper p_U");
    close(shipped(&r, "x", "C", "M"), 95.0 / 3.0, "last_shipper C→M");
    close(shipped(&r, "x", "C", "U"), 0.0, "last_shipper C→U");
    close(
        indicator(&r, "transshipped_t", "control:1:C"),
        95.0 / 3.0,
        "transshipped",
    );
    close(
        indicator(&r, "leakage_share", "control:1:C"),
        1.0,
        "leakage share",
    );

    // Under `origin` with C not tracked (only M is), C's goods are class `other`: the ban
    // covers what C ships itself (it once covered nothing: free trade's p_U = 50). Under
    // `origin` a region re-exports only as a relay (freight through it beating the direct
    // lane), which M is not (10 against 5), so U is served by M alone, p_U = 67.5, as when C
    // is tracked.
    let untracked = tmp.path().join("untracked");
    three(
        &untracked,
        &format!("{BAN}[origin]\nrule = \"origin\"\ntrack = [\"M\"]\n"),
    );
    let r = go(&untracked);
    close(price(&r, "U", "x"), 67.5, "untracked exporter p_U");
    close(shipped(&r, "x", "C", "U"), 0.0, "untracked exporter C→U");

    let tight = tmp.path().join("origin");
    three(&tight, &format!("{BAN}[origin]\nrule = \"origin\"\n"));
    let r = go(&tight);
    close(price(&r, "U", "x"), 67.5, "origin p_U");
    close(consumed(&r, "U", "x"), 32.5, "origin U's use");
    close(shipped(&r, "x", "M", "U"), 32.5, "origin M→U");
    close(
        indicator(&r, "transshipped_t", "control:1:C"),
        0.0,
        "transshipped",
    );
    close(
        indicator(&r, "leakage_share", "control:1:C"),
        0.0,
        "leakage share",
    );
}

/// A non-member N (mc 10 + q), a framework partner F that is not a member, a member U
/// (p = 100 − q); N→U costs 5, N→F and F→U 3 each. A floor of 80 on x at U (lag 0), and a
/// U–F framework on x.
///
/// `last_shipper`: N's goods enter U from F levy-free at 6 of freight: p_U = p_N + 6,
/// p_N − 10 = 94 − p_N → p_N = 52, p_U = 58, no levy.
/// `origin` (N tracked): N's goods pay the levy whoever ships them: landed at the floor,
/// p_U = 80, 20 t, levy 80 − (30 + 5) = 45 a tonne, revenue 900.
#[test]
fn the_levy_follows_origin_through_a_framework_partner() {
    let tmp = tempfile::tempdir().unwrap();
    let setup = |dir: &Path, rule: &str| {
        world(
            dir,
            &["N", "F", "U"],
            "n_mine,N,x,100,10,100,a\n",
            "",
            "U,x,linear,50,50,-1,0,a\n",
            "N,U,x,5,a\nN,F,x,3,a\nF,U,x,3,a\n",
            &format!(
                "[bloc]\nmembers = [{{ region = \"U\", from = \"2026\" }}]\n\
                 [[bloc.floor]]\ncommodity = \"x\"\nreference = {{ fixed_usd_per_t = 80 }}\nratio = 1.0\nlevy = {{ lag = 0, cap_usd_per_t = 1000 }}\n\
                 [[bloc.framework]]\nname = \"U-F\"\nregions = [\"U\", \"F\"]\ncommodities = [\"x\"]\n\
                 [origin]\nrule = \"{rule}\"\ntrack = [\"N\"]\n"
            ),
        )
    };
    let leaky = tmp.path().join("leaky");
    setup(&leaky, "last_shipper");
    let r = go(&leaky);
    close(price(&r, "U", "x"), 58.0, "last_shipper p_U");
    close(shipped(&r, "x", "F", "U"), 42.0, "last_shipper F→U");
    close(
        indicator(&r, "levy_revenue_usd", "world"),
        0.0,
        "last_shipper levy",
    );

    // Under `origin` with C not tracked (only M is), C's goods are class `other`: the ban
    // covers what C ships itself (it once covered nothing: free trade's p_U = 50). Under
    // `origin` a region re-exports only as a relay (freight through it beating the direct
    // lane), which M is not (10 against 5), so U is served by M alone, p_U = 67.5, as when C
    // is tracked.
    let untracked = tmp.path().join("untracked");
    three(
        &untracked,
        &format!("{BAN}[origin]\nrule = \"origin\"\ntrack = [\"M\"]\n"),
    );
    let r = go(&untracked);
    close(price(&r, "U", "x"), 67.5, "untracked exporter p_U");
    close(shipped(&r, "x", "C", "U"), 0.0, "untracked exporter C→U");

    let tight = tmp.path().join("origin");
    setup(&tight, "origin");
    let r = go(&tight);
    close(price(&r, "U", "x"), 80.0, "origin p_U");
    close(consumed(&r, "U", "x"), 20.0, "origin U's use");
    close(
        indicator(&r, "levy_revenue_usd", "world"),
        900.0,
        "origin levy",
    );
}

/// China C mines oxide (mc 10 + q); M turns 1 t of oxide into 1 t of metal (mc 5 + q); U buys
/// metal (p = 100 − q). Oxide C→M and metal M→U cost 5. C bans its oxide and metal to U.
///
/// `transforms`: M's metal is M's (class other), so it may enter U:
/// p_U = 5 + (5 + q) + (10 + q + 5) = 25 + 2q = 100 − q → q = 25, p_U = 75.
/// `content` (metal a content stage): M's metal keeps C's origin and may not enter U: U buys
/// nothing, and its price is the top of its curve, 100.
#[test]
fn content_keeps_the_origin_of_processed_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let setup = |dir: &Path, processing: &str| {
        world(
            dir,
            &["C", "M", "U"],
            "c_mine,C,ox,100,10,100,a\nm_metal,M,x,100,5,100,a\n",
            "m_metal,ox,1,a\n",
            "U,x,linear,50,50,-1,0,a\n",
            "C,M,ox,5,a\nM,U,x,5,a\n",
            &format!(
                "[[export_control]]\nexporter = \"C\"\ncommodities = [\"ox\", \"x\"]\ndestinations = [\"U\"]\nkind = \"ban\"\n\
                 [origin]\nrule = \"origin\"\nprocessing = \"{processing}\"\n"
            ),
        )
    };
    let tr = tmp.path().join("transforms");
    setup(&tr, "transforms");
    let r = go(&tr);
    close(consumed(&r, "U", "x"), 25.0, "transforms U's use");
    close(price(&r, "U", "x"), 75.0, "transforms p_U");

    let ct = tmp.path().join("content");
    setup(&ct, "content");
    let r = go(&ct);
    close(consumed(&r, "U", "x"), 0.0, "content U's use");
    close(price(&r, "U", "x"), 100.0, "content p_U");
}

/// C (mc 10 + q) sells to two members U1 and U2 (each p = 100 − q) at 5. A quota of 20 t a
/// year on C's goods to members is shared by both routes: by symmetry 10 t each, p = 90.
///
/// A licence regime from the first period, 50% of normal exports, to U1 alone: normal exports
/// (the first period solved without controls) have p_U = p_C + 5 and each member buying
/// 100 − p_U = 95 − p_C, so p_C − 10 = 2 (95 − p_C) → p_C = 200/3, 85/3 t to each member.
/// U1's licence is half of that, 85/6 = 14.167 t, so p_U1 = 100 − 85/6 = 85.833.
#[test]
fn quotas_and_licences_cap_an_origin_across_routes() {
    let tmp = tempfile::tempdir().unwrap();
    let setup = |dir: &Path, ctl: &str| {
        world(
            dir,
            &["C", "U1", "U2"],
            "c_mine,C,x,100,10,100,a\n",
            "",
            "U1,x,linear,50,50,-1,0,a\nU2,x,linear,50,50,-1,0,a\n",
            "C,U1,x,5,a\nC,U2,x,5,a\n",
            &format!("[bloc]\nmembers = [{{ region = \"U1\", from = \"2026\" }}, {{ region = \"U2\", from = \"2026\" }}]\n[[export_control]]\nexporter = \"C\"\ncommodities = [\"x\"]\n{ctl}"),
        )
    };
    let q = tmp.path().join("quota");
    setup(
        &q,
        "destinations = [\"members\"]\nkind = \"quota\"\nquota_t_per_period = 20\n",
    );
    let r = go(&q);
    close(consumed(&r, "U1", "x"), 10.0, "quota U1");
    close(consumed(&r, "U2", "x"), 10.0, "quota U2");
    close(price(&r, "U1", "x"), 90.0, "quota p_U1");

    let l = tmp.path().join("licence");
    setup(
        &l,
        "destinations = [\"U1\"]\nkind = \"licence\"\napproved_share = 0.5\n",
    );
    let r = go(&l);
    close(consumed(&r, "U1", "x"), 85.0 / 6.0, "licence U1");
    close(price(&r, "U1", "x"), 100.0 - 85.0 / 6.0, "licence p_U1");
}

/// Controls may overlap; on a shipment under two, the tighter binds. The world above (C sells
/// to members U1 and U2 at 5) with the licence of 50% to U1 for the whole run and a ban to U1
/// in 2026 only:
/// * 2026, both in force: the ban binds, U1 buys nothing; C serves U2 alone, p_C − 10 =
///   100 − p_U2 with p_U2 = p_C + 5 → p_C = 52.5, U2 buys p_C − 10 = 42.5 (the quota of
///   1,000 t does not bind).
/// * 2027, the ban over: the licence applies again with its own normal exports (the first
///   period solved without controls, 85/3 t to U1), so U1 buys 85/6 = 14.167 t, as in the
///   licence case of the test above.
#[test]
fn overlapping_controls_all_apply_and_the_tighter_binds() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("both");
    world(
        &dir,
        &["C", "U1", "U2"],
        "c_mine,C,x,100,10,100,a\n",
        "",
        "U1,x,linear,50,50,-1,0,a\nU2,x,linear,50,50,-1,0,a\n",
        "C,U1,x,5,a\nC,U2,x,5,a\n",
        "[bloc]\nmembers = [{ region = \"U1\", from = \"2026\" }, { region = \"U2\", from = \"2026\" }]\n\
         [[export_control]]\nexporter = \"C\"\ncommodities = [\"x\"]\ndestinations = [\"U1\"]\nkind = \"licence\"\napproved_share = 0.5\n\
         [[export_control]]\nexporter = \"C\"\ncommodities = [\"*\"]\ndestinations = [\"U1\", \"U2\"]\nkind = \"quota\"\nquota_t_per_period = 1000\n\
         [[export_control]]\nexporter = \"C\"\ncommodities = [\"x\"]\ndestinations = [\"U1\"]\nkind = \"ban\"\nto = \"2027\"\n",
    );
    let r = go(&dir);
    close(consumed(&r, "U1", "x"), 0.0, "2026 U1 (ban)");
    close(consumed(&r, "U2", "x"), 42.5, "2026 U2");
    let in_2027 = |region: &str| {
        cell(
            &r,
            "consumption.csv",
            &[("period", "2027"), ("region", region), ("commodity", "x")],
            "quantity_t",
        )
        .expect("a 2027 row")
    };
    close(in_2027("U1"), 85.0 / 6.0, "2027 U1 (licence again)");
}
