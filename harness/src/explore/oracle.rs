//! The oracles that judge a run of a generated case, and what a divergence is.
//!
//! A rendered case's steps each belong to one oracle ([`tag`]): the `rib` checks, the
//! ROUTE-REFRESH check and the graceful-restart check (no withdrawal elsewhere) are the
//! reference model's predictions; the `dut_prefixes` and
//! `monitor_agrees` checks compare the DUT's own RIB and the wire monitor with the model
//! and the receivers (consistency); session waits, restarts and `stayed_up` are liveness. A run also
//! diverges on liveness when the DUT sent a NOTIFICATION that no event of the case explains
//! (anything but Cease, which a restart or shutdown sends, and Hold Timer Expired, which a
//! downed link causes): that is checked first, because a reset session also fails the RIB
//! checks that follow it. In a case that restarts the DUT, a NOTIFICATION that answers an
//! OPEN (the session not Established) is explained too: a daemon that is starting may refuse
//! a connection it is not ready for (FRR 10.3 sends 5/0 before zebra has told bgpd about the
//! interfaces, `docs/findings/frr-10-startup-fsm-error.md`); the speaker connects again,
//! and the session waits fail if it never comes up. The differential oracle compares the columns' verdicts on the
//! same case ([`differential`]).

use std::fmt;

use crate::report::{RunReport, SeenNotification};
use crate::scenario::raw;

/// An oracle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Oracle {
    /// The reference model's prediction of what each speaker holds.
    Model,
    /// The DUT's own RIB, the wire monitor and the receivers agree.
    Consistency,
    /// No unexpected NOTIFICATION or session loss, sessions come back.
    Liveness,
    /// The daemons agree with each other on the same case.
    Differential,
    /// A step of the harness itself failed (an action could not be carried out).
    Harness,
}

impl Oracle {
    /// Every oracle, in report order.
    pub const ALL: [Self; 5] =
        [Self::Model, Self::Consistency, Self::Liveness, Self::Differential, Self::Harness];

    /// Its name in reports and logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Consistency => "consistency",
            Self::Liveness => "liveness",
            Self::Differential => "differential",
            Self::Harness => "harness",
        }
    }
}

impl fmt::Display for Oracle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a step of a rendered case checks, and for which oracle.
pub fn tag(step: &raw::Step) -> (Oracle, &'static str) {
    if step.wait.is_some() {
        return (Oracle::Liveness, "session wait");
    }
    if step.restart.is_some() {
        return (Oracle::Liveness, "restart");
    }
    let Some(e) = &step.expect else { return (Oracle::Harness, "action") };
    if e.stayed_up.is_some() {
        (Oracle::Liveness, "stayed up")
    } else if e.rib.is_some() {
        (Oracle::Model, "rib")
    } else if e.announced.is_some() {
        (Oracle::Model, "route refresh")
    } else if e.withdrawn.is_some() {
        (Oracle::Model, "graceful restart")
    } else if e.dut_prefixes.is_some() {
        (Oracle::Consistency, "DUT's RIB")
    } else if e.monitor_agrees.is_some() {
        (Oracle::Consistency, "wire monitor")
    } else {
        (Oracle::Harness, "check")
    }
}

/// A run's divergence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The oracle that saw it.
    pub oracle: Oracle,
    /// What diverged: the kind of check, or the NOTIFICATION (`NOTIFICATION 3/10`).
    pub what: String,
    /// The first failed step (0-based), when a step failed.
    pub step: Option<usize>,
    /// The failure as the run reported it.
    pub detail: String,
}

impl Divergence {
    /// What must stay the same while a case shrinks: the oracle and what diverged.
    pub fn signature(&self) -> String {
        format!("{}: {}", self.oracle, self.what)
    }
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.signature(), self.detail)
    }
}

/// The divergence of a run of a case rendered as `steps`, or `None` when every oracle agrees
/// (an interrupted run is judged by nobody: `None`).
pub fn judge(report: &RunReport, steps: &[raw::Step]) -> Option<Divergence> {
    if report.interrupted.is_some() {
        return None;
    }
    let failed = report.steps.iter().find(|s| s.status == crate::report::StepStatus::Failed);
    let restarts_dut =
        steps.iter().any(|s| matches!(&s.restart, Some(raw::Restart::Keyword(k)) if k == "dut"));
    let unexplained = |n: &&SeenNotification| {
        n.from_dut && n.code != 6 && n.code != 4 && (n.established || !restarts_dut)
    };
    if let Some(n) = report.notifications.iter().find(unexplained) {
        return Some(Divergence {
            oracle: Oracle::Liveness,
            what: format!("NOTIFICATION {}/{}", n.code, n.subcode),
            step: failed.map(|s| s.index),
            detail: format!("{} got {}", n.speaker, n.text),
        });
    }
    let s = failed?;
    let (oracle, what) = steps.get(s.index).map_or((Oracle::Harness, "step"), tag);
    Some(Divergence {
        oracle,
        what: what.to_string(),
        step: Some(s.index),
        detail: format!(
            "step {} ({}): {}",
            s.index + 1,
            s.name,
            s.detail.lines().next().unwrap_or_default()
        ),
    })
}

/// What the columns' verdicts on one case say together: `None` when they all agree (all
/// pass, or all diverge the same way); otherwise each column's verdict, for the
/// differential oracle's line.
pub fn differential(verdicts: &[(String, Option<Divergence>)]) -> Option<String> {
    let first = verdicts.first()?;
    let sig = |v: &Option<Divergence>| v.as_ref().map(Divergence::signature);
    if verdicts.iter().all(|v| sig(&v.1) == sig(&first.1)) {
        return None;
    }
    Some(
        verdicts
            .iter()
            .map(|(col, v)| format!("{col}: {}", sig(v).unwrap_or_else(|| "agrees".into())))
            .collect::<Vec<_>>()
            .join("; "),
    )
}

/// A first classification of a divergence from what the other columns did on the same case
/// (a person confirms it before it goes into `scenarios/found/`).
pub fn classify(d: &Divergence, verdicts: &[(String, Option<Divergence>)]) -> &'static str {
    if d.oracle == Oracle::Harness {
        return "harness bug";
    }
    let same = verdicts
        .iter()
        .filter(|(_, v)| v.as_ref().is_some_and(|v| v.signature() == d.signature()))
        .count();
    let clean = verdicts.iter().filter(|(_, v)| v.is_none()).count();
    if verdicts.len() > 1 && same == verdicts.len() {
        "every daemon run diverges the same way: a model or harness bug, or a fault they share (check with the RFC and more daemons)"
    } else if clean > 0 {
        "daemon bug (other daemons agree with the model)"
    } else {
        "unclassified (no other daemon agrees with the model on this case)"
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{Oracle, judge, tag};
    use crate::dut::Column;
    use crate::explore::case::{Case, Event, SpeakerSpec};
    use crate::explore::render;
    use crate::report::{RunReport, SeenNotification};
    use crate::scenario::model::DutKind;
    use crate::scenario::raw;

    /// The judgement of a run of `case` that passed every step and saw `n` from the DUT.
    fn judged(case: &Case, n: SeenNotification) -> Option<String> {
        let text = render::yaml(case, DutKind::Frr).unwrap();
        let s = crate::scenario::parse(Path::new("gen.yaml"), &text).unwrap();
        let mut report = RunReport::new(&s, Column::of(DutKind::Frr, None));
        report.notifications.push(n);
        let steps = render::scenario(case, DutKind::Frr).unwrap().steps;
        judge(&report, &steps).map(|d| d.signature())
    }

    #[test]
    fn a_notification_answering_an_open_is_explained_only_by_a_dut_restart() {
        let sp = SpeakerSpec { asn: 65001, four_octet: true, ipv6: false };
        let announce = Event::Announce {
            from: 0,
            prefixes: vec!["100.64.0.0/24".parse().unwrap()],
            attrs: crate::explore::case::Attrs::plain(vec![]),
        };
        let plain = Case {
            seed: 0,
            dut_asn: crate::explore::case::DUT_ASN,
            speakers: vec![sp.clone(), sp],
            events: vec![announce],
        };
        let mut restart = plain.clone();
        restart.events.push(Event::RestartDut);
        let fsm = |established| SeenNotification {
            speaker: "sp1".into(),
            from_dut: true,
            code: 5,
            subcode: 0,
            established,
            text: "received 5/0".into(),
        };
        let fsm_error = Some("liveness: NOTIFICATION 5/0".to_string());
        assert_eq!(judged(&plain, fsm(false)), fsm_error);
        assert_eq!(judged(&plain, fsm(true)), fsm_error);
        assert_eq!(judged(&restart, fsm(false)), None, "refused while the DUT started");
        assert_eq!(judged(&restart, fsm(true)), fsm_error, "an Established session reset");
        let cease = SeenNotification { code: 6, subcode: 2, ..fsm(true) };
        assert_eq!(judged(&plain, cease), None);
    }

    #[test]
    fn each_kind_of_step_belongs_to_its_oracle() {
        let expect = |e: raw::Expect| raw::Step { expect: Some(e), ..raw::Step::default() };
        let cases = [
            (expect(raw::Expect { rib: Some(vec![]), ..Default::default() }), Oracle::Model),
            (expect(raw::Expect { announced: Some(1), ..Default::default() }), Oracle::Model),
            (expect(raw::Expect { withdrawn: Some(0), ..Default::default() }), Oracle::Model),
            (
                expect(raw::Expect { dut_prefixes: Some(vec![]), ..Default::default() }),
                Oracle::Consistency,
            ),
            (
                expect(raw::Expect { monitor_agrees: Some(true), ..Default::default() }),
                Oracle::Consistency,
            ),
            (
                expect(raw::Expect { stayed_up: Some(vec!["sp1".into()]), ..Default::default() }),
                Oracle::Liveness,
            ),
            (
                raw::Step {
                    restart: Some(raw::Restart::Keyword("dut".into())),
                    ..raw::Step::default()
                },
                Oracle::Liveness,
            ),
            (raw::Step { reset: Some("sp1".into()), ..raw::Step::default() }, Oracle::Harness),
        ];
        for (step, oracle) in cases {
            assert_eq!(tag(&step).0, oracle, "{step:?}");
        }
        assert_eq!(
            tag(&expect(raw::Expect { withdrawn: Some(0), ..Default::default() })).1,
            "graceful restart"
        );
    }
}
