//! The bytes the benchmarks work on.

/// The body the local server answers to the PATCH: a `WebhookSubscriptionResponse` with every
/// field the seed page (<https://developers.kirim.chat/api/operations/webhook_subscriptionsid/patch/>,
/// "Updated subscription") marks required, ids taken from its example. The page's own example body omits
/// required fields (`url`, `events`, timestamps, …), so a client that checks them cannot decode
/// it; this is that example completed to the documented schema.
pub const UPDATE_RESPONSE: &str = r#"{"data":{"id":"wbs_01HXYZABCDEFGHJKMNPQRSTVWX","object":"webhook_subscription","url":"https://example.com","description":"example","events":["message.received"],"status":"active","disabled_reason":null,"consecutive_failures":0,"secrets":[{"id":"sec_01HXYZABCDEFGHJKMNPQRSTVWX","created_at":"2026-01-02T03:04:05Z","expires_at":null}],"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"},"request_id":"req_01HXYZABCDEFGHJKMNPQRSTVWX"}"#;

/// The request id the server sends in `x-request-id`.
pub const REQUEST_ID: &str = "req_01HXYZABCDEFGHJKMNPQRSTVWX";

/// Meta's `message.received` as Kirim.chat passes it through (`X-Kirim-Source: meta`).
pub const META_MESSAGE_RECEIVED: &[u8] =
    include_bytes!("../../tests/fixtures/webhooks/kirim_meta_message_received.json");

/// A media message straight from Meta: pywa's `image` capture
/// (`tests/fixtures/webhooks/meta/pywa_message.json`, `image`).
pub const META_MEDIA: &[u8] = br#"{"object":"whatsapp_business_account","entry":[{"id":"1234567890987654321","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"972123456789","phone_number_id":"1122334455667"},"contacts":[{"profile":{"name":"Test Name"},"wa_id":"972987654321"}],"messages":[{"from":"972987654321","id":"wamid.xyzxyz","timestamp":"1697043379","type":"image","image":{"mime_type":"image/jpeg","sha256":"4654+8g=","id":"65463453"}}]},"field":"messages"}]}]}"#;

/// Statuses straight from Meta: the `delivered` status with `pricing` and BSUIDs and the
/// `failed` status with `errors` of Meta's business-scoped user IDs page
/// (`tests/fixtures/webhooks/meta/meta_docs.json`, `bsuid.status_delivered_to_phone` and
/// `bsuid.status_failed`), as two changes of one body.
pub const META_STATUSES: &[u8] = br#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Pablo M.","username":"@pablomorales"},"wa_id":"16505551234","user_id":"US.13491208655302741918","parent_user_id":"US.ENT.11815799212886844830"}],"statuses":[{"id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=","status":"delivered","timestamp":"1750030073","recipient_id":"16505551234","recipient_user_id":"US.13491208655302741918","recipient_parent_user_id":"US.ENT.11815799212886844830","pricing":{"billable":true,"pricing_model":"PMP","type":"regular","category":"marketing"}}]},"field":"messages"},{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"statuses":[{"id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=","status":"failed","timestamp":"1750030073","recipient_id":"16505551234","errors":[{"code":131049,"title":"This message was not delivered to maintain healthy ecosystem engagement.","message":"This message was not delivered to maintain healthy ecosystem engagement.","error_data":{"details":"In order to maintain a healthy ecosystem engagement, the message failed to be delivered."},"href":"/documentation/business-messaging/whatsapp/support/error-codes"}]}]},"field":"messages"}]}]}"#;

/// A Kirim.chat envelope event (`conversation.assigned`).
pub const KIRIM_CONVERSATION_ASSIGNED: &[u8] =
    include_bytes!("../../tests/fixtures/webhooks/kirim_conversation_assigned.json");

/// One Kapso `whatsapp.message.received` payload (v2).
pub const KAPSO_MESSAGE_RECEIVED: &[u8] =
    include_bytes!("../../tests/fixtures/webhooks/kapso_message_received.json");

/// A Kapso batch of `n` `whatsapp.message.received` payloads, as buffered delivery sends it
/// (`{"type": …, "batch": true, "data": [ … ]}`): the fixture payload `n` times, each with its own
/// message id.
pub fn kapso_batch(n: usize) -> Vec<u8> {
    let one = std::str::from_utf8(KAPSO_MESSAGE_RECEIVED).expect("the fixture is UTF-8");
    let id = "wamid.HBgNNTY5OTk4NjU0MzIxFQIAEhgg";
    assert!(one.contains(id), "the fixture's message id changed");
    let items: Vec<String> = (0..n)
        .map(|i| one.replacen(id, &format!("{id}{i:03}"), 1))
        .collect();
    format!(
        r#"{{"type":"whatsapp.message.received","batch":true,"data":[{}]}}"#,
        items.join(",")
    )
    .into_bytes()
}

/// A Kirim.chat `contact.created` event padded to exactly `len` bytes of JSON (at least 200), the
/// body the verification benchmarks sign.
pub fn body_of_len(len: usize) -> Vec<u8> {
    let head = r#"{"id":"evt_01J9ZQ3V5K8M2N4P6R8T0V2X4Y","type":"contact.created","created_at":"2026-11-24T10:00:00Z","livemode":true,"data":{"contact":{"id":"ctc_1","object":"contact","name":""#;
    let tail = r#""}}}"#;
    assert!(len >= head.len() + tail.len(), "body too short: {len}");
    let fill = len - head.len() - tail.len();
    let mut body = String::with_capacity(len);
    body.push_str(head);
    body.extend(std::iter::repeat_n('x', fill));
    body.push_str(tail);
    body.into_bytes()
}

/// The bodies the verification benchmarks use: 1 KiB and 256 KiB.
pub const BODY_SIZES: [(&str, usize); 2] = [("1KiB", 1024), ("256KiB", 256 * 1024)];

/// How many active secrets the verification benchmarks try: none rotating, one rotation, and a
/// verifier that keeps several old secrets.
pub const SECRET_COUNTS: [usize; 3] = [1, 2, 4];

/// `n` distinct made-up signing secrets in Kirim.chat's `whsec_…` form.
pub fn secrets(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("whsec_bench_secret_{i}_5f8a0c1e9d7b3a2f"))
        .collect()
}
