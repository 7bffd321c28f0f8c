//! One write call of a batch: its request body (built once, sent on every attempt), sent under
//! the job's policy, split in halves on "too many accounts"; what it did not change, per
//! account, with why.

use std::collections::BTreeMap;

use super::calls::{Call, Payload};
use crate::api::{Command, Family, codes, wire};
use crate::client::{CallError, Client, Reply};
use crate::engine::ErrorDetail;
use crate::engine::job::Lanes;
use crate::engine::policy::{Ctx, Stop};

/// How one write call ended for an account it carried, when it did not change it.
#[derive(Debug, Clone)]
pub(crate) enum CallEnd {
    NotFound(ErrorDetail),
    /// Refused, or never sent: not carried out.
    Failed(ErrorDetail),
    /// Cancelled before it was sent.
    Cancelled,
    /// Sent, and its answer lost: it may have been carried out.
    Lost(ErrorDetail),
}

pub(crate) type Ends = Vec<(usize, CallEnd)>;

/// One write call for these items (positions into `accounts`), split in halves on 90018; returns
/// the accounts it did not change, with why.
pub(crate) fn send<'a>(
    ctx: &'a Ctx,
    lanes: &'a Lanes,
    call: &'a Call,
    items: &'a [(usize, Payload)],
    accounts: &'a [String],
) -> std::pin::Pin<Box<dyn Future<Output = Ends> + Send + 'a>> {
    send_part(ctx, lanes, call, items, accounts, false)
}

/// `send` for a part of a call; `landed`: an attempt of the call it was split from may have
/// been carried out, so an account this part does not change may be changed all the same.
fn send_part<'a>(
    ctx: &'a Ctx,
    lanes: &'a Lanes,
    call: &'a Call,
    items: &'a [(usize, Payload)],
    accounts: &'a [String],
    landed: bool,
) -> std::pin::Pin<Box<dyn Future<Output = Ends> + Send + 'a>> {
    Box::pin(async move {
        let family = ctx.cfg.family;
        let body = Body::new(call, items, accounts);
        let result = ctx.call_write(lanes.of(call.cmd), || body.send(&ctx.client, family)).await;
        match result {
            Err(Stop::Split(_, _, earlier)) if items.len() > 1 => {
                let (left, right) = items.split_at(items.len() / 2);
                let landed = landed || earlier;
                let mut out = send_part(ctx, lanes, call, left, accounts, landed).await;
                out.extend(send_part(ctx, lanes, call, right, accounts, landed).await);
                out
            }
            Err(stop) => {
                let part = match stop {
                    Stop::Lost(e, n) => CallEnd::Lost(ErrorDetail::from_call(&e, n)),
                    Stop::Split(e, n, earlier) if landed || earlier => CallEnd::Lost(ErrorDetail::from_call(&e, n)),
                    Stop::Cancelled if landed => CallEnd::Lost(ErrorDetail::from_call(&CallError::Cancelled, 0)),
                    Stop::Aborted(e, n) | Stop::Failed(e, n) if landed => CallEnd::Lost(ErrorDetail::from_call(&e, n)),
                    Stop::Cancelled => CallEnd::Cancelled,
                    Stop::Aborted(e, n) => CallEnd::Failed(ErrorDetail::not_sent(&e, n)),
                    Stop::Split(e, n, _) | Stop::Failed(e, n) => CallEnd::Failed(ErrorDetail::from_call(&e, n)),
                };
                items.iter().map(|(k, _)| (*k, part.clone())).collect()
            }
            Ok((reply, _)) => {
                let errors: BTreeMap<&str, &wire::AccountError> =
                    reply.status.error_list.iter().map(|e| (e.to_account.as_str(), e)).collect();
                items
                    .iter()
                    .filter_map(|(k, _)| {
                        let e = errors.get(accounts[*k].as_str())?;
                        let d = ErrorDetail::from_code(e.error_code, &e.error_info);
                        Some((
                            *k,
                            match e.error_code {
                                codes::NOT_IMPORTED => CallEnd::NotFound(d),
                                // Refused now; the call it was split from may have changed it.
                                _ if landed => CallEnd::Lost(d),
                                _ => CallEnd::Failed(d),
                            },
                        ))
                    })
                    .collect()
            }
        }
    })
}

/// A write call's request body, built once and sent on every attempt.
enum Body {
    SetAttr(wire::SetAttrRequest),
    RemoveAttr(wire::RemoveAttrRequest),
    Tags(Command, wire::TagsRequest),
    Clear(Vec<String>),
}

impl Body {
    fn new(call: &Call, items: &[(usize, Payload)], accounts: &[String]) -> Body {
        let account = |k: &usize| accounts[*k].clone();
        let tags = |p: &Payload| match p {
            Payload::Tags(t) => t.clone(),
            _ => Vec::new(),
        };
        match call.cmd {
            Command::SetAttr => Body::SetAttr(wire::SetAttrRequest {
                user_attrs: items
                    .iter()
                    .map(|(k, p)| wire::UserAttrs {
                        to_account: account(k),
                        attrs: match p {
                            Payload::Attrs(a) => a.clone(),
                            _ => BTreeMap::new(),
                        },
                    })
                    .collect(),
            }),
            Command::RemoveAttr => Body::RemoveAttr(wire::RemoveAttrRequest {
                user_attrs: items
                    .iter()
                    .map(|(k, p)| wire::UserAttrNames {
                        to_account: account(k),
                        attrs: match p {
                            Payload::Names(n) => n.clone(),
                            _ => Vec::new(),
                        },
                    })
                    .collect(),
            }),
            Command::RemoveAllTags => Body::Clear(items.iter().map(|(k, _)| account(k)).collect()),
            cmd => Body::Tags(
                cmd,
                wire::TagsRequest {
                    replace: call.replace.then_some(1),
                    user_tags: items
                        .iter()
                        .map(|(k, p)| wire::UserTags { to_account: account(k), tags: tags(p) })
                        .collect(),
                },
            ),
        }
    }

    async fn send(&self, client: &Client, family: Family) -> Result<Reply<serde_json::Value>, CallError> {
        match self {
            Body::SetAttr(r) => client.set_attrs(family, r).await,
            Body::RemoveAttr(r) => client.remove_attrs(family, r).await,
            Body::Tags(Command::RemoveTag, r) => client.remove_tags(family, r).await,
            Body::Tags(_, r) => client.add_tags(family, r).await,
            Body::Clear(a) => client.remove_all_tags(family, a).await,
        }
    }
}
