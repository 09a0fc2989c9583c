//! Meta's WhatsApp Cloud API payloads (`webhooks::meta`): every published example parses with
//! every item typed (a test per message type), nothing is lost in a round trip (a property over
//! the fixtures), and one odd item never rejects a delivery.
#![cfg(feature = "webhooks")]

use chathooks::webhooks::meta::{
    self, Content, Field, Identity, Item, ItemKind, Message, MessageType, StatusKind, Webhook,
};
use chathooks::webhooks::{kapso, kirim};
use proptest::prelude::*;
use serde_json::{json, Value};

/// Every body of `tests/fixtures/webhooks/meta/*.json`, by `<file>/<name>`.
fn fixtures() -> Vec<(String, Value)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/webhooks/meta");
    let mut all = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let file = path.file_stem().unwrap().to_string_lossy().into_owned();
        let Value::Object(bodies) = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
        else {
            panic!("{file}: an object of bodies");
        };
        for (name, body) in bodies {
            all.push((format!("{file}/{name}"), body));
        }
    }
    assert!(all.len() >= 45, "the fixtures are read ({})", all.len());
    all
}

fn fixture(name: &str) -> Value {
    fixtures()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
        .1
}

fn parse(name: &str) -> Webhook {
    meta::parse(fixture(name).to_string().as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The one message of a fixture.
fn message(name: &str) -> Message {
    let webhook = parse(name);
    let mut messages = webhook.messages();
    let message = messages
        .next()
        .unwrap_or_else(|| panic!("{name}: a message"))
        .clone();
    assert!(messages.next().is_none(), "{name}: one message");
    message
}

/// Every key of `original` (but `null`s, which read as absent) is in `written`, with the same
/// value, or the same number written as its text where Meta sends numbers for strings.
fn assert_nothing_dropped(path: &str, original: &Value, written: &Value) {
    match (original, written) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                if value.is_null() {
                    continue;
                }
                let Some(other) = b.get(key) else {
                    panic!("{path}/{key} was dropped");
                };
                assert_nothing_dropped(&format!("{path}/{key}"), value, other);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}: same length");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_nothing_dropped(&format!("{path}/{i}"), x, y);
            }
        }
        (Value::Number(n), Value::String(s)) => assert_eq!(n.to_string(), *s, "{path}"),
        (Value::Number(a), Value::Number(b)) => {
            assert_eq!(a.as_f64(), b.as_f64(), "{path}")
        }
        (a, b) => assert_eq!(a, b, "{path}"),
    }
}

#[test]
fn every_fixture_parses_with_every_item_typed_and_round_trips() {
    for (name, body) in fixtures() {
        let bytes = body.to_string();
        let webhook = meta::parse(bytes.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let invalid: Vec<_> = webhook.invalid_items().collect();
        assert!(invalid.is_empty(), "{name}: {invalid:?}");
        assert_eq!(webhook.object.as_deref(), Some(meta::OBJECT), "{name}");
        let written = serde_json::to_value(&webhook).unwrap();
        assert_nothing_dropped(&name, &body, &written);
        let again: Webhook = serde_json::from_value(written.clone()).unwrap();
        assert_eq!(again, webhook, "{name}: parse(serialize(x)) == x");
        assert_eq!(
            meta::parse(written.to_string().as_bytes()).unwrap(),
            webhook,
            "{name}"
        );
    }
}

/// Every JSON pointer to an object in `value`.
fn object_paths(value: &Value, path: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            out.push(path.clone());
            for (key, child) in map {
                object_paths(child, format!("{path}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                object_paths(child, format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(json!({"nested": [1, "two", {"three": 3}]})),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A field Meta adds anywhere (an unknown key in any object of any fixture) is kept: it is in
    /// the serialized body, and serializing then parsing gives the same value.
    #[test]
    fn unknown_fields_anywhere_survive_a_round_trip(
        which in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        key in "x_[a-z]{1,8}",
        value in scalar(),
    ) {
        let all = fixtures();
        let (name, mut body) = all[which.index(all.len())].clone();
        let mut paths = Vec::new();
        object_paths(&body, String::new(), &mut paths);
        let path = paths[at.index(paths.len())].clone();
        body.pointer_mut(&path).unwrap().as_object_mut().unwrap().insert(key.clone(), value.clone());

        let webhook = meta::parse(body.to_string().as_bytes()).unwrap();
        prop_assert_eq!(webhook.invalid_items().count(), 0, "{} {}", name, path);
        let written = serde_json::to_value(&webhook).unwrap();
        prop_assert_eq!(written.pointer(&format!("{path}/{key}")), Some(&value), "{} {}", name, path);
        assert_nothing_dropped(&name, &body, &written);
        let again = meta::parse(written.to_string().as_bytes()).unwrap();
        prop_assert_eq!(again, webhook);
    }
}

// ---- A test per message type ------------------------------------------------------------------

#[test]
fn text() {
    let webhook = parse("meta_docs/messages.text");
    let message = webhook.messages().next().unwrap();
    assert_eq!(message.kind(), Some(MessageType::Text));
    assert_eq!(message.text(), Some("Does it come in another color?"));
    assert_eq!(message.sender(), Some(Identity::Phone("16505551234")));
    assert_eq!(message.timestamp.as_deref(), Some("1749416383"));
    let contact = webhook.contacts().next().unwrap();
    assert_eq!(
        contact.profile.as_ref().unwrap().name.as_deref(),
        Some("Sheena Nelson")
    );
    assert_eq!(contact.identity(), Some(Identity::Phone("16505551234")));
    let value = webhook.values().next().unwrap();
    assert_eq!(
        value.metadata.as_ref().unwrap().phone_number_id.as_deref(),
        Some("106540352242922")
    );
    assert_eq!(webhook.entry[0].changes[0].kind(), Some(Field::Messages));
}

#[test]
fn a_text_from_a_user_with_a_username_has_no_from_but_a_bsuid() {
    let webhook = parse("meta_docs/bsuid.text_from_username");
    let message = webhook.messages().next().unwrap();
    assert_eq!(message.from, None);
    assert_eq!(
        message.from_user_id.as_deref(),
        Some("US.13491208655302741918")
    );
    assert_eq!(
        message.from_parent_user_id.as_deref(),
        Some("US.ENT.11815799212886844830")
    );
    assert_eq!(
        message.sender(),
        Some(Identity::UserId("US.13491208655302741918"))
    );
    assert_eq!(
        message.sender().unwrap().as_str(),
        "US.13491208655302741918"
    );
    let contact = webhook.contacts().next().unwrap();
    assert_eq!(contact.wa_id, None);
    assert_eq!(contact.user_id.as_deref(), Some("US.13491208655302741918"));
    assert_eq!(
        contact.parent_user_id.as_deref(),
        Some("US.ENT.11815799212886844830")
    );
    assert_eq!(
        contact.profile.as_ref().unwrap().username.as_deref(),
        Some("@realsheenanelson")
    );
    assert_eq!(
        contact.identity(),
        Some(Identity::UserId("US.13491208655302741918"))
    );
}

#[test]
fn media_messages() {
    let image = message("pywa_message/image");
    assert!(matches!(image.content, Content::Image(_)));
    let media = image.media().unwrap();
    assert_eq!(media.id.as_deref(), Some("65463453"));
    assert_eq!(media.mime_type.as_deref(), Some("image/jpeg"));
    assert_eq!(media.sha256.as_deref(), Some("4654+8g="));

    let video = message("pywa_message/video");
    assert!(matches!(video.content, Content::Video(_)));
    assert_eq!(video.media().unwrap().caption.as_deref(), Some("caption"));
    assert_eq!(video.context.as_ref().unwrap().forwarded, Some(true));

    let document = message("pywa_message/document");
    assert!(matches!(document.content, Content::Document(_)));
    assert_eq!(
        document.media().unwrap().filename.as_deref(),
        Some("filename.pdf")
    );

    let audio = message("pywa_message/audio");
    assert!(matches!(audio.content, Content::Audio(_)));
    assert_eq!(audio.media().unwrap().voice, Some(false));
    let voice = message("pywa_message/voice");
    assert_eq!(voice.media().unwrap().voice, Some(true));
    assert_eq!(
        voice.media().unwrap().mime_type.as_deref(),
        Some("audio/ogg; codecs=opus")
    );

    for (name, animated) in [
        ("pywa_message/static_sticker", false),
        ("pywa_message/animated_sticker", true),
    ] {
        let sticker = message(name);
        assert!(matches!(sticker.content, Content::Sticker(_)), "{name}");
        assert_eq!(sticker.media().unwrap().animated, Some(animated), "{name}");
        assert_eq!(sticker.text(), None);
    }
}

#[test]
fn location() {
    let Content::Location(here) = message("pywa_message/current_location").content else {
        panic!("a location");
    };
    assert_eq!(
        (here.latitude, here.longitude),
        (Some(12.25089), Some(43.90539))
    );
    assert_eq!(here.name, None);
    let Content::Location(place) = message("pywa_message/chosen_location").content else {
        panic!("a location");
    };
    assert_eq!(place.latitude, Some(37.4611978));
    assert_eq!(place.longitude, Some(-122.2164385));
    assert_eq!(place.name.as_deref(), Some("Facebook HQ"));
    assert_eq!(
        place.address.as_deref(),
        Some("1 Hacker Way, Menlo Park, CA 94025")
    );
    assert_eq!(
        place.url.as_deref(),
        Some("https://maps.google.com/?cid=2000000000000000000")
    );
}

#[test]
fn contacts() {
    let Content::Contacts(cards) = message("pywa_message/contacts").content else {
        panic!("contacts");
    };
    assert_eq!(cards.len(), 3);
    let name = cards[0].name.as_ref().unwrap();
    assert_eq!(name.formatted_name.as_deref(), Some("Chandler Bing"));
    assert_eq!(name.first_name.as_deref(), Some("Chandler"));
    assert_eq!(name.last_name.as_deref(), Some("Bing"));
    assert_eq!(cards[1].name.as_ref().unwrap().last_name, None);
    let phone = &cards[2].phones[0];
    assert_eq!(phone.phone.as_deref(), Some("+1 777-777-7777"));
    assert_eq!(phone.wa_id.as_deref(), Some("972987654321"));
    assert_eq!(phone.phone_type.as_deref(), Some("WORK"));
}

#[test]
fn interactive_replies() {
    let Content::Interactive(button) = message("pywa_updates/callback_button.button").content
    else {
        panic!("interactive");
    };
    assert_eq!(button.interactive_type.as_deref(), Some("button_reply"));
    assert_eq!(button.reply_id(), Some("callback_data"));
    assert_eq!(
        button.button_reply.as_ref().unwrap().title.as_deref(),
        Some("title")
    );

    let list = message("pywa_updates/callback_selection.description");
    assert_eq!(list.reply_to(), Some("wamid.xyzxyz"));
    let Content::Interactive(list) = list.content else {
        panic!("interactive");
    };
    let row = list.list_reply.as_ref().unwrap();
    assert_eq!(list.reply_id(), Some("callback_data"));
    assert_eq!(row.description.as_deref(), Some("description"));

    let Content::Interactive(flow) = message("pywa_updates/flow_completion.completion").content
    else {
        panic!("interactive");
    };
    let answer = flow.nfm_reply.as_ref().unwrap();
    assert_eq!(flow.interactive_type.as_deref(), Some("nfm_reply"));
    assert_eq!(answer.name.as_deref(), Some("flow"));
    assert_eq!(answer.body.as_deref(), Some("Sent"));
    let response: Value = serde_json::from_str(answer.response_json.as_deref().unwrap()).unwrap();
    assert_eq!(response["flow_token"], "AQAAAAACS5FpgQ_cAAAAAD0QI3s.");
    assert_eq!(flow.reply_id(), None);
}

#[test]
fn quick_reply_button() {
    let message = message("pywa_updates/callback_button.quick_reply");
    assert_eq!(message.kind(), Some(MessageType::Button));
    let Content::Button(button) = &message.content else {
        panic!("button");
    };
    assert_eq!(button.payload.as_deref(), Some("callback_data"));
    assert_eq!(button.text.as_deref(), Some("title"));
    assert_eq!(message.reply_to(), Some("wamid.xyzxyz=="));
}

#[test]
fn reactions() {
    let Content::Reaction(reaction) = message("pywa_message/reaction").content else {
        panic!("reaction");
    };
    assert_eq!(reaction.message_id.as_deref(), Some("wamid.yzxyzx="));
    assert_eq!(reaction.emoji.as_deref(), Some("\u{1f62e}"));
    for (name, emoji) in [
        ("pywa_message/unreaction_empty", Some("")),
        ("pywa_message/unreaction_no_emoji", None),
    ] {
        let Content::Reaction(removed) = message(name).content else {
            panic!("{name}: reaction");
        };
        assert_eq!(removed.emoji.as_deref(), emoji, "{name}");
    }
}

#[test]
fn order() {
    let Content::Order(order) = message("pywa_message/order").content else {
        panic!("order");
    };
    assert_eq!(order.catalog_id.as_deref(), Some("354160437058781"));
    assert_eq!(order.text.as_deref(), Some(""));
    assert_eq!(order.product_items.len(), 3);
    let first = &order.product_items[0];
    assert_eq!(first.product_retailer_id.as_deref(), Some("HAMBURGER"));
    assert_eq!(first.quantity, Some(3));
    assert_eq!(first.item_price, Some(30.0));
    assert_eq!(first.currency.as_deref(), Some("ILS"));
}

#[test]
fn system_messages() {
    let changed = message("pywa_updates/system.phone_number_change");
    let Content::System(system) = &changed.content else {
        panic!("system");
    };
    assert_eq!(system.system_type.as_deref(), Some("user_changed_number"));
    assert_eq!(system.wa_id.as_deref(), Some("972912345678"));

    // A BSUID change comes without `from`.
    let bsuid = message("pywa_updates/system.user_id_change");
    assert_eq!(bsuid.from, None);
    assert_eq!(bsuid.sender(), None);
    let Content::System(system) = &bsuid.content else {
        panic!("system");
    };
    assert_eq!(system.system_type.as_deref(), Some("user_changed_user_id"));
    assert_eq!(system.user_id.as_deref(), Some("MX.0987654321"));
    assert_eq!(system.previous_user_id.as_deref(), Some("CO.1234567890"));

    // `identity` is not a field this crate names: kept, as sent.
    let identity = message("pywa_updates/system.identity_change");
    assert_eq!(identity.extra["identity"]["hash"], "xyzxyz");
}

#[test]
fn unsupported_messages_carry_their_errors() {
    let message = message("pywa_message/unsupported");
    assert_eq!(message.kind(), Some(MessageType::Unsupported));
    assert_eq!(message.content, Content::Unsupported(None));
    assert_eq!(message.errors[0].code, Some(131051));
    assert_eq!(
        message.errors[0]
            .error_data
            .as_ref()
            .unwrap()
            .details
            .as_deref(),
        Some("Message type is currently not supported.")
    );
}

#[test]
fn context_replies_and_forwards() {
    let reply = message("pywa_message/reply");
    assert_eq!(reply.reply_to(), Some("wamid.xyzxyz=="));
    assert_eq!(
        reply.context.as_ref().unwrap().from.as_deref(),
        Some("972123456789")
    );
    assert_eq!(reply.text(), Some("replied text"));
    assert_eq!(
        message("pywa_message/forwarded").context.unwrap().forwarded,
        Some(true)
    );
    let many = message("pywa_message/forwarded_many_times");
    assert_eq!(
        many.context.as_ref().unwrap().frequently_forwarded,
        Some(true)
    );
    assert_eq!(many.reply_to(), None);
}

#[test]
fn referral() {
    let message = message("pywa_message/referral");
    let referral = message.referral.as_ref().unwrap();
    assert_eq!(referral.source_url.as_deref(), Some("AD_OR_POST_FB_URL"));
    assert_eq!(referral.source_type.as_deref(), Some("ad or post"));
    assert_eq!(referral.headline.as_deref(), Some("AD_TITLE"));
    assert_eq!(referral.ctwa_clid.as_deref(), Some("CTWA_CLID"));
    assert_eq!(referral.extra["thumbnail_url"], "RAW_THUMBNAIL_URL");
    assert_eq!(message.text(), Some("BODY"));
}

#[test]
fn revoke_and_edit() {
    let Content::Revoke(revoke) = message("pywa_updates/deleted_message.revoke").content else {
        panic!("revoke");
    };
    assert_eq!(
        revoke.original_message_id.as_deref(),
        Some("<ORIGINAL_WHATSAPP_MESSAGE_ID>")
    );

    let Content::Edit(edit) = message("pywa_updates/edited_message.edit_text").content else {
        panic!("edit");
    };
    assert_eq!(edit.original_message_id.as_deref(), Some("wamid.zzzzzz"));
    let edited = edit.message.as_ref().unwrap();
    assert_eq!(edited.id, "", "the edited content has no id of its own");
    assert_eq!(edited.text(), Some("Text was edited"));

    let Content::Edit(edit) = message("pywa_updates/edited_message.edit_caption").content else {
        panic!("edit");
    };
    let edited = edit.message.as_ref().unwrap();
    assert_eq!(edited.media().unwrap().caption.as_deref(), Some("caption"));
}

#[test]
fn an_interactive_message_without_content_and_a_change_level_error() {
    let webhook = parse("pywa_message/interactive_message_with_err");
    let message = webhook.messages().next().unwrap();
    assert_eq!(message.kind(), Some(MessageType::Interactive));
    assert_eq!(message.content, Content::Other(None));
    let value = webhook.values().next().unwrap();
    let error = value.errors[0].parsed().unwrap();
    assert_eq!(error.code, Some(131000));
    assert_eq!(error.title.as_deref(), Some("Something went wrong"));
}

#[test]
fn smb_message_echoes() {
    let webhook = parse("pywa_updates/outgoing_message.text");
    assert_eq!(webhook.messages().count(), 0);
    let echo = webhook.message_echoes().next().unwrap();
    assert_eq!(echo.text(), Some("Test message"));
    assert_eq!(echo.to.as_deref(), Some("<WHATSAPP_USER_PHONE_NUMBER>"));
    assert_eq!(echo.to_user_id.as_deref(), Some("<BSUID>"));
    assert_eq!(echo.to_parent_user_id.as_deref(), Some("<PARENT_BSUID>"));
    assert_eq!(
        webhook.entry[0].changes[0].kind(),
        Some(Field::SmbMessageEchoes)
    );
}

#[test]
fn statuses() {
    let sent = parse("pywa_updates/message_status.sent");
    let status = sent.statuses().next().unwrap();
    assert_eq!(status.kind(), Some(StatusKind::Sent));
    assert_eq!(status.recipient(), Some(Identity::Phone("972987654321")));
    let conversation = status.conversation.as_ref().unwrap();
    assert_eq!(
        conversation.id.as_deref(),
        Some("7270432eae37498234f4444b35ffc5")
    );
    assert_eq!(
        conversation.expiration_timestamp.as_deref(),
        Some("1698339900")
    );
    assert_eq!(
        conversation.origin.as_ref().unwrap().origin_type.as_deref(),
        Some("service")
    );
    let pricing = status.pricing.as_ref().unwrap();
    assert_eq!(pricing.billable, Some(true));
    assert_eq!(pricing.pricing_model.as_deref(), Some("CBP"));
    assert_eq!(pricing.category.as_deref(), Some("service"));

    let tracked = parse("pywa_updates/message_status.with_tracker");
    assert_eq!(
        tracked
            .statuses()
            .next()
            .unwrap()
            .biz_opaque_callback_data
            .as_deref(),
        Some("some data")
    );

    let failed = parse("pywa_updates/message_status.failed");
    let status = failed.statuses().next().unwrap();
    assert_eq!(status.kind(), Some(StatusKind::Failed));
    assert_eq!(status.error_codes().collect::<Vec<_>>(), [130472]);
    assert_eq!(
        status.errors[0].href.as_deref(),
        Some("https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/")
    );
}

#[test]
fn statuses_with_business_scoped_user_ids() {
    let to_phone = parse("meta_docs/bsuid.status_delivered_to_phone");
    let status = to_phone.statuses().next().unwrap();
    assert_eq!(status.kind(), Some(StatusKind::Delivered));
    assert_eq!(status.recipient_id.as_deref(), Some("16505551234"));
    assert_eq!(
        status.recipient_user_id.as_deref(),
        Some("US.13491208655302741918")
    );
    assert_eq!(
        status.recipient_parent_user_id.as_deref(),
        Some("US.ENT.11815799212886844830")
    );
    let pricing = status.pricing.as_ref().unwrap();
    assert_eq!(pricing.pricing_model.as_deref(), Some("PMP"));
    assert_eq!(pricing.pricing_type.as_deref(), Some("regular"));
    assert_eq!(pricing.category.as_deref(), Some("marketing"));
    let contact = to_phone.contacts().next().unwrap();
    assert_eq!(
        contact.profile.as_ref().unwrap().username.as_deref(),
        Some("@pablomorales")
    );

    let to_bsuid = parse("meta_docs/bsuid.status_delivered_to_bsuid");
    let status = to_bsuid.statuses().next().unwrap();
    assert_eq!(status.recipient_id, None);
    assert_eq!(
        status.recipient(),
        Some(Identity::UserId("US.13491208655302741918"))
    );

    let failed = parse("meta_docs/bsuid.status_failed");
    assert_eq!(failed.contacts().count(), 0);
    let status = failed.statuses().next().unwrap();
    assert_eq!(status.recipient_user_id, None);
    assert_eq!(status.error_codes().collect::<Vec<_>>(), [131049]);
}

#[test]
fn calls_user_preferences_template_and_account_events() {
    let calls = parse("pywa_updates/call_connect.user_initiated");
    assert_eq!(calls.entry[0].changes[0].kind(), Some(Field::Calls));
    let call = calls.values().next().unwrap().calls[0]
        .parsed()
        .unwrap()
        .clone();
    assert_eq!(call.id.as_deref(), Some("wacid.xxxx="));
    assert_eq!(call.event.as_deref(), Some("connect"));
    assert_eq!(call.direction.as_deref(), Some("USER_INITIATED"));
    assert_eq!(call.extra["session"]["sdp_type"], "offer");

    let preferences = parse("pywa_updates/user_preferences.user_marketing_preferences");
    let preference = preferences.values().next().unwrap().user_preferences[0]
        .parsed()
        .unwrap()
        .clone();
    assert_eq!(preference.category.as_deref(), Some("marketing_messages"));
    assert_eq!(preference.value.as_deref(), Some("resume"));
    assert_eq!(preference.timestamp, Some(1731705721));

    let template = parse("pywa_updates/template_status_update.approved");
    assert_eq!(template.entry[0].time, Some(1698268000));
    let change = &template.entry[0].changes[0];
    assert_eq!(change.kind(), Some(Field::MessageTemplateStatusUpdate));
    let value = change.value.as_ref().unwrap();
    assert_eq!(value.event.as_deref(), Some("APPROVED"));
    assert_eq!(value.message_template_id.as_deref(), Some("12345678"));
    assert_eq!(
        value.message_template_name.as_deref(),
        Some("my_message_template")
    );
    assert_eq!(value.message_template_language.as_deref(), Some("pt-BR"));
    assert_eq!(value.reason, None);

    let account = parse("pywa_updates/account_update.account_restriction");
    let change = &account.entry[0].changes[0];
    assert_eq!(change.kind(), Some(Field::AccountUpdate));
    let value = change.value.as_ref().unwrap();
    assert_eq!(value.event.as_deref(), Some("ACCOUNT_RESTRICTION"));
    assert_eq!(
        value.extra["restriction_info"][0]["restriction_type"],
        "RESTRICTED_BIZ_INITIATED_MESSAGING"
    );
    // `entry[].time` is kept: it was dropped by a round trip before.
    let written = serde_json::to_value(&account).unwrap();
    assert_eq!(written["entry"][0]["time"], 1641330498);
}

// ---- One odd item never rejects a delivery (bodies made up for these cases) -------------------

fn body_with(value: Value) -> Vec<u8> {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398",
        "changes": [{"field": "messages", "value": value}]}]})
    .to_string()
    .into_bytes()
}

fn text_message(id: &str) -> Value {
    json!({"from": "16505551234", "id": id, "timestamp": "1749416383", "type": "text",
           "text": {"body": id}})
}

#[test]
fn a_message_without_id_is_kept_raw_and_the_others_are_there() {
    let mut messages: Vec<Value> = (0..50)
        .map(|i| text_message(&format!("wamid.{i}")))
        .collect();
    messages[7] = json!({"from": "16505551234", "timestamp": "1749416383", "type": "text",
                         "text": {"body": "no id"}});
    messages[20] = json!({"id": "wamid.odd", "type": "image", "image": "not an object"});
    let body = body_with(json!({"messaging_product": "whatsapp", "messages": messages}));
    let webhook = meta::parse(&body).unwrap();
    assert_eq!(webhook.messages().count(), 48);
    let invalid: Vec<_> = webhook.invalid_items().collect();
    assert_eq!(invalid.len(), 2);
    assert_eq!(invalid[0].0, ItemKind::Message);
    assert_eq!(invalid[0].1.raw["text"]["body"], "no id");
    assert!(invalid[0].1.error.contains("id"), "{}", invalid[0].1.error);
    assert_eq!(invalid[1].1.raw["image"], "not an object");
    // Kept as sent when written back, in place.
    let written = serde_json::to_value(&webhook).unwrap();
    assert_eq!(
        written["entry"][0]["changes"][0]["value"]["messages"][7],
        messages[7]
    );
    assert_eq!(
        meta::parse(written.to_string().as_bytes()).unwrap(),
        webhook
    );
    // Both platforms' parsers keep the delivery too.
    let payload = kapso::parse(&kapso_delivery(&body), &body).unwrap();
    assert_eq!(payload.meta().unwrap().messages().count(), 48);
    let event = kirim::parse(&kirim_delivery(&body), &body).unwrap();
    assert!(matches!(event, kirim::Event::Meta(_)));
}

fn kapso_delivery(body: &[u8]) -> kapso::Delivery {
    kapso::Verifier::new(["k"])
        .unwrap()
        .verify(&kapso::sign_headers("k", body), body)
        .unwrap()
}

fn kirim_delivery(body: &[u8]) -> kirim::Delivery {
    let headers = kirim::sign_headers(&["whsec_k"], 1_764_000_000, body);
    kirim::Verifier::new(["whsec_k"])
        .unwrap()
        .verify_at(&headers, body, 1_764_000_000)
        .unwrap()
}

#[test]
fn a_status_without_id_and_statuses_null() {
    let body = body_with(json!({"statuses": [
        {"status": "delivered", "timestamp": "1750030073", "recipient_id": "16505551234"},
        {"id": "wamid.ok", "status": "read", "timestamp": 1750030074, "recipient_id": 16505551234u64}
    ]}));
    let webhook = meta::parse(&body).unwrap();
    let statuses: Vec<_> = webhook.statuses().collect();
    assert_eq!(statuses.len(), 1);
    // Numbers where Meta documents strings are read as their text.
    assert_eq!(statuses[0].timestamp.as_deref(), Some("1750030074"));
    assert_eq!(statuses[0].recipient_id.as_deref(), Some("16505551234"));
    assert_eq!(webhook.invalid_items().next().unwrap().0, ItemKind::Status);

    let webhook = meta::parse(&body_with(
        json!({"statuses": null, "contacts": null, "messages": null}),
    ))
    .unwrap();
    assert_eq!(webhook.statuses().count() + webhook.messages().count(), 0);
}

#[test]
fn numbers_where_strings_are_documented_and_strings_where_numbers_are() {
    let body = body_with(json!({
        "metadata": {"display_phone_number": 15550783881u64, "phone_number_id": 106540352242922u64},
        "messages": [{"from": 16505551234u64, "id": "wamid.n", "timestamp": 1749416383,
                      "type": "location", "location": {"latitude": "37.5", "longitude": -122}}],
        "user_preferences": [{"timestamp": "1731705721", "category": "marketing_messages"}]
    }));
    let webhook = meta::parse(&body).unwrap();
    assert_eq!(webhook.invalid_items().count(), 0);
    let value = webhook.values().next().unwrap();
    assert_eq!(
        value.metadata.as_ref().unwrap().phone_number_id.as_deref(),
        Some("106540352242922")
    );
    let message = webhook.messages().next().unwrap();
    assert_eq!(message.from.as_deref(), Some("16505551234"));
    assert_eq!(message.timestamp.as_deref(), Some("1749416383"));
    let Content::Location(location) = &message.content else {
        panic!("location");
    };
    assert_eq!(
        (location.latitude, location.longitude),
        (Some(37.5), Some(-122.0))
    );
    assert_eq!(
        value.user_preferences[0].parsed().unwrap().timestamp,
        Some(1731705721)
    );
}

#[test]
fn a_change_without_value_and_an_unknown_message_type() {
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "time": "1698268000",
        "changes": [{"field": "messages"},
                    {"field": "messages", "value": {"messages": [
                        {"id": "wamid.poll", "type": "poll", "poll": {"question": "?"}}]}}]}]});
    let webhook = meta::parse(body.to_string().as_bytes()).unwrap();
    assert_eq!(webhook.entry[0].time, Some(1698268000));
    assert_eq!(webhook.entry[0].changes[0].value, None);
    let message = webhook.messages().next().unwrap();
    assert_eq!(message.kind(), Some(MessageType::Other("poll".into())));
    assert_eq!(
        message.content,
        Content::Other(Some(json!({"question": "?"})))
    );
    let written = serde_json::to_value(&webhook).unwrap();
    assert_eq!(
        written["entry"][0]["changes"][1]["value"]["messages"][0]["poll"]["question"],
        "?"
    );
}

#[test]
fn a_content_key_that_does_not_match_the_type_is_an_invalid_item() {
    let body = body_with(json!({"messages": [
        {"id": "wamid.a", "type": "text", "text": {"body": "hi"}, "image": {"id": "1"}},
        text_message("wamid.b")
    ]}));
    let webhook = meta::parse(&body).unwrap();
    assert_eq!(
        webhook
            .messages()
            .map(|m| m.id.as_str())
            .collect::<Vec<_>>(),
        ["wamid.b"]
    );
    let (_, invalid) = webhook.invalid_items().next().unwrap();
    assert!(invalid.error.contains("image"), "{}", invalid.error);
}

#[test]
fn only_outer_levels_that_are_not_objects_or_lists_reject_a_body() {
    for body in [
        r#"not json"#,
        r#"[1]"#,
        r#"{"object":"whatsapp_business_account","entry":{}}"#,
        r#"{"object":"whatsapp_business_account","entry":[{"changes":[{"value":"x"}]}]}"#,
    ] {
        assert!(meta::parse(body.as_bytes()).is_err(), "{body}");
    }
}

#[test]
fn dedupe_keys_come_from_the_signed_body() {
    let one = body_with(json!({"messages": [text_message("wamid.one")]}));
    let webhook = meta::parse(&one).unwrap();
    assert_eq!(
        meta::dedupe_key(&webhook, &one).as_str(),
        "meta:msg:wamid.one"
    );

    let status = body_with(json!({"statuses": [{"id": "wamid.s", "status": "read"}]}));
    let webhook = meta::parse(&status).unwrap();
    assert_eq!(
        meta::dedupe_key(&webhook, &status).as_str(),
        "meta:status:wamid.s:read"
    );

    // Two messages, or one that did not parse: the body's hash.
    for body in [
        body_with(json!({"messages": [text_message("wamid.a"), text_message("wamid.b")]})),
        body_with(json!({"messages": [{"type": "text"}]})),
        body_with(json!({"messages": [text_message("wamid.a"), {"type": "text"}]})),
    ] {
        let webhook = meta::parse(&body).unwrap();
        let key = meta::dedupe_key(&webhook, &body);
        assert!(key.as_str().starts_with("meta:sha256:"), "{key}");
        assert_eq!(
            key,
            chathooks::webhooks::dedupe::DedupeKey::body_sha256("meta", &body)
        );
    }
}

#[test]
fn items_are_reachable_typed_or_not() {
    let body = body_with(json!({"messages": [text_message("wamid.a"), 5]}));
    let webhook = meta::parse(&body).unwrap();
    let value = webhook.values().next().unwrap();
    assert!(matches!(value.messages[0], Item::Parsed(_)));
    assert_eq!(value.messages[1].invalid().unwrap().raw, json!(5));
    assert!(value.messages[1].parsed().is_none());
}
