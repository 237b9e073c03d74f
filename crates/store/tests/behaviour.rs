//! The store's behaviour, the same on SQLite and PostgreSQL.

use domain::policy::{system_scope, whatsapp_scope, UserChange};
use domain::{
    Actor, DeviceStatus, Direction, Email, EngineKind, Label, MessageStatus, OutletId, PhoneNumber, Plan, Role, Scope,
    Timestamp, UserId,
};
use kewhats_store::{
    both_backends, ContactCounts, DeviceChange, MessageFilter, NewContact, NewDevice, NewInbound, NewOutgoing,
    NewOutlet, NewUser, NewWebSession, OutletPatch, Page, Store, StoreError, StoreOptions,
};

/// The scope a request of this user gets.
fn owner_scope(user: UserId) -> Scope {
    whatsapp_scope(Actor { user_id: user, role: Role::User }).expect("users use WhatsApp")
}

const T0: Timestamp = Timestamp(1_700_000_000_000);

async fn open(db: &kewhats_store::testing::TestDb) -> Store {
    Store::open(&db.url, &StoreOptions::default()).await.expect("open store")
}

async fn user(store: &Store, email: &str, role: Role) -> UserId {
    let email = Email::parse(email).unwrap();
    store
        .create_user(NewUser { email: &email, name: "", password_hash: "h", role, plan: Plan::Unlimited }, T0)
        .await
        .unwrap()
        .id
}

async fn outlet(store: &Store, owner: UserId, name: &str, number: &str) -> OutletId {
    let name = Label::parse(name, 100).unwrap();
    let city = Label::parse("Jakarta", 100).unwrap();
    let number = PhoneNumber::parse(number).unwrap();
    store.create_outlet(NewOutlet { owner, name: &name, city: &city, wa_number: &number }, T0).await.unwrap().id
}

both_backends! {
    async fn contacts_are_one_per_number_per_owner_and_counted_as_they_change(db) {
        let store = open(db).await;
        let (ana, bob) = (user(&store, "ana@shop.id", Role::User).await, user(&store, "bob@shop.id", Role::User).await);
        let jkt = outlet(&store, ana, "Jakarta", "081200000001").await;
        let number = PhoneNumber::parse("0813 1111 2222").unwrap();
        let email = Email::parse("sari@contoh.id").unwrap();
        let fields = std::collections::BTreeMap::from([("kota".to_string(), "Bandung".to_string())]);
        let new = |owner, email| NewContact { owner, name: "Sari", wa_number: &number, email, notes: "", home_outlet: Some(jkt), fields: &fields };
        let sari = store.create_contact(new(ana, Some(&email)), T0).await.unwrap();
        assert_eq!((sari.wa_number.as_str(), sari.fields.get("kota").map(String::as_str)), ("+6281311112222", Some("Bandung")));
        assert!(matches!(store.create_contact(new(ana, None), T0).await, Err(StoreError::Conflict(_))), "one per number");
        let bobs = store.create_contact(new(bob, None), T0).await.unwrap();
        assert_eq!(store.contact_counts(ana).await.unwrap(), ContactCounts { total: 1, with_email: 1 });
        assert_eq!(store.contact_counts(bob).await.unwrap(), ContactCounts { total: 1, with_email: 0 });
        assert!(store.contact(owner_scope(bob), sari.id).await.unwrap().is_none(), "another owner's contact is not there");
        assert!(matches!(store.delete_contact(owner_scope(bob), sari.id).await, Err(StoreError::NotFound)));

        let stop = PhoneNumber::parse("081399998888").unwrap();
        let out = store.opt_out_contact(ana, &stop, "BERHENTI", T0).await.unwrap();
        assert_eq!((out.opted_out_at, out.opted_out_reason.as_str()), (Some(T0), "BERHENTI"), "created opted out");
        let again = store.opt_out_contact(ana, &stop, "STOP", T0.plus_secs(5)).await.unwrap();
        assert_eq!((again.id, again.opted_out_at, again.opted_out_reason.as_str()), (out.id, Some(T0), "BERHENTI"), "the first time and reason stay");
        let known = store.opt_out_contact(ana, &number, "STOP", T0).await.unwrap();
        assert_eq!((known.id, known.name.as_str()), (sari.id, "Sari"), "an existing contact keeps its details");
        assert_eq!(store.contact_counts(ana).await.unwrap(), ContactCounts { total: 2, with_email: 1 });

        store.delete_contact(owner_scope(ana), sari.id).await.unwrap();
        assert_eq!(store.contact_counts(ana).await.unwrap(), ContactCounts { total: 1, with_email: 0 });
        assert_eq!(store.platform_contact_counts().await.unwrap(), ContactCounts { total: 2, with_email: 0 });
        assert!(store.contact(system_scope(), bobs.id).await.unwrap().is_some());
        store.close().await;
    }

    async fn migrations_run_once(db) {
        let store = open(db).await;
        assert_eq!(store.migrate().await.unwrap(), 0, "second run applies nothing");
        store.close().await;
        let again = open(db).await;
        assert_eq!(again.migrate().await.unwrap(), 0);
        again.close().await;
    }

    async fn users_are_unique_by_email_and_searchable(db) {
        let store = open(db).await;
        let id = user(&store, "Budi@Example.com", Role::User).await;
        let email = Email::parse("budi@example.com").unwrap();
        let creds = store.user_credentials(&email).await.unwrap().unwrap();
        assert_eq!(creds.user.id, id);
        assert_eq!(creds.password_hash, "h");
        let dup = store
            .create_user(NewUser { email: &email, name: "", password_hash: "x", role: Role::User, plan: Plan::Unlimited }, T0)
            .await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
        for i in 0..30 {
            user(&store, &format!("owner{i}@shop.id"), Role::User).await;
        }
        let page = store.list_users(Some("SHOP"), Page::new(Some(2), Some(20))).await.unwrap();
        assert_eq!(page.total, 30);
        assert_eq!(page.items.len(), 10);
        let pct = store.list_users(Some("%"), Page::default()).await.unwrap();
        assert_eq!(pct.total, 0, "a % in the search is literal");
        store.close().await;
    }

    async fn the_last_superadmin_cannot_be_removed(db) {
        let store = open(db).await;
        let a = user(&store, "a@x.io", Role::Superadmin).await;
        let b = user(&store, "b@x.io", Role::Superadmin).await;
        let demote = UserChange { role: Some(Role::Admin), ..Default::default() };
        let changed = store.update_user(a, demote, T0).await.unwrap();
        assert_eq!(changed.role, Role::Admin);
        let disable = UserChange { disabled: Some(true), ..Default::default() };
        assert!(matches!(store.update_user(b, disable, T0).await, Err(StoreError::Refused(_))));
        assert!(matches!(store.update_user(b, demote, T0).await, Err(StoreError::Refused(_))));
        let plan = UserChange { plan: Some(Plan::Unlimited), ..Default::default() };
        assert_eq!(store.update_user(b, plan, T0).await.unwrap().plan, Plan::Unlimited);
        assert_eq!(store.count_active_users_with_role(&[Role::Superadmin]).await.unwrap(), 1);
        assert!(matches!(store.update_user(UserId(999), plan, T0).await, Err(StoreError::NotFound)));
        store.close().await;
    }

    async fn sessions_expire_and_are_revoked(db) {
        let store = open(db).await;
        let u = user(&store, "s@x.io", Role::User).await;
        let new = |hash| NewWebSession { token_hash: hash, user_id: u, csrf_token: "c", ip: "", user_agent: "", expires_at: T0.plus_secs(60) };
        store.create_web_session(new("t1"), T0).await.unwrap();
        store.create_web_session(new("t2"), T0).await.unwrap();
        assert!(store.active_web_session("t1", T0).await.unwrap().is_some());
        assert!(store.active_web_session("t1", T0.plus_secs(61)).await.unwrap().is_none(), "expired");
        assert!(store.revoke_web_session("t1", T0).await.unwrap());
        assert!(store.active_web_session("t1", T0).await.unwrap().is_none(), "revoked");
        store.create_web_session(new("t3"), T0).await.unwrap();
        assert_eq!(store.revoke_user_web_sessions(u, Some("t3"), T0).await.unwrap(), 1);
        assert!(store.active_web_session("t3", T0).await.unwrap().is_some(), "kept");
        let disable = UserChange { disabled: Some(true), ..Default::default() };
        store.update_user(u, disable, T0).await.unwrap();
        assert!(store.active_web_session("t3", T0).await.unwrap().is_none(), "disabled user");
        assert_eq!(store.purge_web_sessions(T0.plus_secs(120)).await.unwrap(), 3);
        store.close().await;
    }

    async fn outlets_are_scoped_to_their_owner(db) {
        let store = open(db).await;
        let ana = user(&store, "ana@x.io", Role::User).await;
        let bob = user(&store, "bob@x.io", Role::User).await;
        let jkt = outlet(&store, ana, "Jakarta", "081200000001").await;
        outlet(&store, ana, "Bandung", "081200000002").await;
        let sby = outlet(&store, bob, "Surabaya", "081200000003").await;
        let mine = store.list_outlets(owner_scope(ana), None, Page::default()).await.unwrap();
        assert_eq!(mine.items.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), ["Bandung", "Jakarta"]);
        assert_eq!(store.list_outlets(system_scope(), None, Page::default()).await.unwrap().total, 3);
        assert_eq!(store.list_outlets(system_scope(), Some("surab"), Page::default()).await.unwrap().total, 1);
        assert_eq!(store.list_outlets(system_scope(), Some("+6281200000002"), Page::default()).await.unwrap().total, 1);
        assert!(store.outlet(owner_scope(ana), sby).await.unwrap().is_none());
        let rename = Label::parse("Hacked", 100).unwrap();
        let patch = || OutletPatch { name: Some(&rename), ..Default::default() };
        assert!(matches!(store.update_outlet(owner_scope(ana), sby, patch(), T0).await, Err(StoreError::NotFound)));
        assert!(matches!(store.delete_outlet(owner_scope(ana), sby, Timestamp(0)).await, Err(StoreError::NotFound)));
        assert_eq!(store.outlet(system_scope(), sby).await.unwrap().unwrap().name, "Surabaya");
        let renamed = store.update_outlet(owner_scope(ana), jkt, patch(), T0).await.unwrap();
        assert_eq!((renamed.name.as_str(), renamed.owner_email.as_str()), ("Hacked", "ana@x.io"));
        let taken = PhoneNumber::parse("081200000003").unwrap();
        let steal = OutletPatch { wa_number: Some(&taken), ..Default::default() };
        assert!(matches!(store.update_outlet(owner_scope(ana), jkt, steal, T0).await, Err(StoreError::Conflict(_))));
        store.delete_outlet(owner_scope(bob), sby, Timestamp(0)).await.unwrap();
        assert!(store.outlet(system_scope(), sby).await.unwrap().is_none());
        store.close().await;
    }

    async fn device_changes_write_status_and_history_together(db) {
        let store = open(db).await;
        let ana = user(&store, "ana@x.io", Role::User).await;
        let bob = user(&store, "bob@x.io", Role::User).await;
        let outlet_id = outlet(&store, ana, "Jakarta", "081200000001").await;
        let new = || NewDevice { outlet_id, engine: EngineKind::Sim, paired_account: None };
        let d = store.create_device(new(), T0).await.unwrap();
        assert_eq!((d.status, d.retries, d.owner_id, d.wa_number.as_str()), (DeviceStatus::Disconnected, 0, ana, "+6281200000001"));
        assert!(matches!(store.create_device(new(), T0).await, Err(StoreError::Conflict(_))));
        use DeviceStatus::*;
        let step = |reason: &str| DeviceChange { reason: reason.into(), ..Default::default() };
        store.record_device_change(d.id, Disconnected, Connecting, &step("start"), T0).await.unwrap();
        assert_eq!(store.increment_device_retries(d.id, T0).await.unwrap(), 1);
        assert_eq!(store.increment_device_retries(d.id, T0).await.unwrap(), 2);
        let paired = DeviceChange { reason: "connected".into(), reset_retries: true, paired_account: Some(Some("6281200000001".into())), ..Default::default() };
        store.record_device_change(d.id, Connecting, Connected, &paired, T0.plus_secs(5)).await.unwrap();
        let now = store.device(owner_scope(ana), d.id).await.unwrap().unwrap();
        assert_eq!((now.status, now.retries, now.paired_account.as_deref()), (Connected, 0, Some("6281200000001")));
        assert_eq!(now.last_connected_at, Some(T0.plus_secs(5)));
        let stale = store.record_device_change(d.id, Connecting, Disconnected, &step("late"), T0).await;
        assert!(matches!(stale, Err(StoreError::Refused(_))), "a stale 'from' is refused");
        let unlink = DeviceChange { reason: "wrong number".into(), paired_account: Some(None), unlinked_reason: Some("paired +62999".into()), ..Default::default() };
        store.record_device_change(d.id, Connected, LoggedOut, &unlink, T0.plus_secs(9)).await.unwrap();
        let after = store.device_of_outlet(system_scope(), outlet_id).await.unwrap().unwrap();
        assert_eq!((after.paired_account, after.unlinked_reason.as_str()), (None, "paired +62999"));
        let history = store.device_history(owner_scope(ana), d.id, Page::default()).await.unwrap();
        assert_eq!(history.total, 3);
        let steps: Vec<_> = history.items.iter().map(|e| (e.from, e.to, e.reason.as_str())).collect();
        assert_eq!(steps, [(Connected, LoggedOut, "wrong number"), (Connecting, Connected, "connected"), (Disconnected, Connecting, "start")]);
        assert_eq!(store.device_history(owner_scope(bob), d.id, Page::default()).await.unwrap().total, 0, "not bob's");
        assert!(store.device(owner_scope(bob), d.id).await.unwrap().is_none());
        assert!(matches!(store.delete_device(owner_scope(bob), d.id).await, Err(StoreError::NotFound)));
        assert_eq!(store.all_devices().await.unwrap().len(), 1);
        store.delete_outlet(owner_scope(ana), outlet_id, Timestamp(0)).await.unwrap();
        assert!(store.all_devices().await.unwrap().is_empty(), "deleting the outlet removes its device");
        store.close().await;
    }

    async fn wa_keys_round_trip_per_device_and_vanish_with_the_device(db) {
        let store = open(db).await;
        let ana = user(&store, "ana@x.io", Role::User).await;
        let o1 = outlet(&store, ana, "One", "081200000001").await;
        let o2 = outlet(&store, ana, "Two", "081200000002").await;
        let d1 = store.create_device(NewDevice { outlet_id: o1, engine: EngineKind::Web, paired_account: None }, T0).await.unwrap().id;
        let d2 = store.create_device(NewDevice { outlet_id: o2, engine: EngineKind::Web, paired_account: None }, T0).await.unwrap().id;
        let bytes = |s: &str| s.as_bytes().to_vec();
        store.put_wa_keys(d1, "prekey", &[("2".into(), bytes("b")), ("1".into(), bytes("a"))]).await.unwrap();
        store.put_wa_keys(d1, "prekey", &[("1".into(), vec![0, 255, 7])]).await.unwrap();
        store.put_wa_keys(d1, "identity", &[("own".into(), bytes("id1"))]).await.unwrap();
        store.put_wa_keys(d2, "identity", &[("own".into(), bytes("id2"))]).await.unwrap();
        assert_eq!(store.wa_key(d1, "prekey", "1").await.unwrap(), Some(vec![0, 255, 7]), "binary values and upserts");
        assert_eq!(store.wa_keys(d1, "prekey").await.unwrap(), vec![("1".to_string(), vec![0, 255, 7]), ("2".to_string(), bytes("b"))]);
        store.delete_wa_key(d1, "prekey", "2").await.unwrap();
        assert_eq!(store.wa_keys(d1, "prekey").await.unwrap().len(), 1);
        store.delete_wa_namespace(d1, "prekey").await.unwrap();
        assert!(store.wa_keys(d1, "prekey").await.unwrap().is_empty());
        store.wipe_wa_keys(d1).await.unwrap();
        assert_eq!(store.wa_key(d1, "identity", "own").await.unwrap(), None);
        assert_eq!(store.wa_key(d2, "identity", "own").await.unwrap(), Some(bytes("id2")), "other devices untouched");
        store.delete_device(system_scope(), d2).await.unwrap();
        assert_eq!(store.wa_key(d2, "identity", "own").await.unwrap(), None, "deleting the device deletes its keys");
        store.close().await;
    }

    async fn events_become_deliveries_for_matching_active_webhooks_only(db) {
        let store = open(db).await;
        let ana = user(&store, "ana@x.io", Role::User).await;
        let bob = user(&store, "bob@x.io", Role::User).await;
        let o = outlet(&store, ana, "Jakarta", "081200000001").await;
        let events = |e: &[&str]| e.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let inbound = store.create_webhook(ana, "https://a.example/in", &events(&["message.received"]), b"s", T0).await.unwrap();
        let statuses = store.create_webhook(ana, "https://a.example/st", &events(&["message.status", "device.status"]), b"s", T0).await.unwrap();
        let paused = store.create_webhook(ana, "https://a.example/off", &events(&["message.received"]), b"s", T0).await.unwrap();
        store.update_webhook(ana, paused.id, kewhats_store::WebhookPatch { active: Some(false), ..Default::default() }, T0).await.unwrap();
        let bobs = store.create_webhook(bob, "https://b.example/in", &events(&["message.received"]), b"s", T0).await.unwrap();

        let new = NewInbound { owner: ana, outlet: o, from: "+6281300000001", body: "halo", wa_message_id: "IN1", at: T0, media: None };
        let message = store.record_inbound(new, T0).await.unwrap().unwrap();
        let count = |hook: i64, owner: UserId| { let s = store.clone(); async move { s.list_deliveries(owner, hook, None, Page::default()).await.unwrap().total } };
        assert_eq!(count(inbound.id, ana).await, 1);
        assert_eq!(count(statuses.id, ana).await, 0, "not subscribed to message.received");
        assert_eq!(count(paused.id, ana).await, 0, "a paused webhook records nothing");
        assert_eq!(count(bobs.id, bob).await, 0, "another owner's webhook");
        assert_eq!(count(inbound.id, bob).await, 0, "another owner sees no log");
        let d = &store.list_deliveries(ana, inbound.id, None, Page::default()).await.unwrap().items[0];
        assert_eq!((d.event.as_str(), d.payload["data"]["id"].as_i64()), ("message.received", Some(message.id)));
        assert_eq!(d.payload["id"].as_str(), Some(d.event_id.as_str()));

        // Claimed with a lease, recorded once; a stale claim cannot overwrite a newer one.
        let claimed = store.claim_deliveries(T0, 1_000, 10, &[]).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!((claimed[0].url.as_str(), claimed[0].attempts), ("https://a.example/in", 1));
        assert!(store.claim_deliveries(T0, 1_000, 10, &[]).await.unwrap().is_empty(), "leased");
        assert_eq!(store.release_expired_claims(T0.plus_secs(1)).await.unwrap(), 1);
        let again = store.claim_deliveries(T0.plus_secs(2), 1_000, 10, &[]).await.unwrap();
        assert_eq!(again[0].attempts, 2, "the lease ran out");
        store.finish_delivery(&claimed[0], kewhats_store::DeliveryResult::Delivered { status_code: 200 }, T0).await.unwrap();
        assert_eq!(store.delivery(ana, inbound.id, d.id).await.unwrap().unwrap().status, domain::DeliveryStatus::Delivering, "the stale claim changed nothing");
        let retry_at = T0.plus_secs(60);
        store.finish_delivery(&again[0], kewhats_store::DeliveryResult::Retry { status_code: Some(503), error: "HTTP 503", at: retry_at }, T0).await.unwrap();
        assert_eq!(store.next_delivery_due().await.unwrap(), Some(retry_at));
        assert!(store.claim_deliveries(T0.plus_secs(59), 1_000, 10, &[]).await.unwrap().is_empty());
        assert!(store.claim_deliveries(retry_at, 1_000, 10, &[inbound.id]).await.unwrap().is_empty(), "a busy webhook is skipped");
        let last = store.claim_deliveries(retry_at, 1_000, 10, &[inbound.id + 100]).await.unwrap();
        assert_eq!(last.len(), 1);
        assert_eq!(store.purge_deliveries(T0.plus_secs(3600)).await.unwrap(), 0, "unfinished deliveries are kept");
        store.finish_delivery(&last[0], kewhats_store::DeliveryResult::Failed { status_code: Some(410), error: "HTTP 410" }, retry_at).await.unwrap();
        assert_eq!(store.purge_deliveries(retry_at).await.unwrap(), 0, "not older than the cut-off");
        assert_eq!(store.purge_deliveries(retry_at.plus_secs(1)).await.unwrap(), 1);
        store.enqueue_event(&kewhats_store::WebhookEvent::new(ana, domain::EventKind::MessageReceived, &"x", T0), T0).await.unwrap();
        store.delete_webhook(ana, inbound.id).await.unwrap();
        assert_eq!(store.next_delivery_due().await.unwrap(), None, "deleted with its webhook");
        store.close().await;
    }

    async fn messages_outbox_receipts_and_dedupe(db) {
        let store = open(db).await;
        let ana = user(&store, "ana@x.io", Role::User).await;
        let bob = user(&store, "bob@x.io", Role::User).await;
        let o = outlet(&store, ana, "Jakarta", "081200000001").await;
        let out = |body: &'static str, key: Option<&'static str>| NewOutgoing { owner: ana, outlet: o, to: "+6281300000001", body, media: None, api_key_id: None, idempotency_key: key, expires_at: None };
        let (first, created) = store.create_outgoing(out("halo", Some("k1")), T0).await.unwrap();
        assert!(created);
        let (again, created) = store.create_outgoing(out("something else", Some("k1")), T0).await.unwrap();
        assert!(!created, "the same idempotency key gives the same message");
        assert_eq!(again.id, first.id);
        assert_eq!(again.body, "halo");
        let (second, _) = store.create_outgoing(out("kedua", None), T0).await.unwrap();
        let expired = NewOutgoing { expires_at: Some(T0.plus_secs(10)), ..out("late", None) };
        let (late, _) = store.create_outgoing(expired, T0).await.unwrap();

        let claimed = store.claim_next_outgoing(o, T0).await.unwrap().0.unwrap();
        assert_eq!((claimed.id, claimed.status, claimed.attempts), (first.id, MessageStatus::Sending, 1));
        assert!(store.finish_outgoing(claimed.id, Ok("WA1"), T0.plus_secs(1)).await.unwrap());
        assert!(!store.finish_outgoing(claimed.id, Ok("WA1"), T0.plus_secs(1)).await.unwrap(), "once only");
        let next = store.claim_next_outgoing(o, T0).await.unwrap().0.unwrap();
        assert_eq!(next.id, second.id);
        store.release_outgoing(next.id, T0).await.unwrap();
        assert_eq!(store.claim_next_outgoing(o, T0).await.unwrap().0.unwrap().id, second.id, "released goes back in line");
        assert!(store.finish_outgoing(second.id, Err("refused"), T0).await.unwrap());
        assert_eq!(store.claim_next_outgoing(o, T0.plus_secs(11)).await.unwrap(), (None, 1), "the late one expired");
        let late = store.message(system_scope(), late.id).await.unwrap().unwrap();
        assert_eq!((late.status, late.error.as_str()), (MessageStatus::Failed, "expired before the device was connected"));

        let ids = vec!["WA1".to_string()];
        assert_eq!(store.apply_receipt(o, &ids, MessageStatus::Read, T0.plus_secs(3)).await.unwrap(), 1);
        assert_eq!(store.apply_receipt(o, &ids, MessageStatus::Delivered, T0.plus_secs(4)).await.unwrap(), 0, "read never goes back");
        let read = store.message(owner_scope(ana), first.id).await.unwrap().unwrap();
        assert_eq!((read.status, read.read_at, read.sent_at), (MessageStatus::Read, Some(T0.plus_secs(3)), Some(T0.plus_secs(1))));
        assert!(store.message(owner_scope(bob), first.id).await.unwrap().is_none(), "another owner's message");

        let inbound = |id: &'static str| NewInbound { owner: ana, outlet: o, from: "+6281300000001", body: "pesan", wa_message_id: id, at: T0, media: None };
        assert!(store.record_inbound(inbound("IN1"), T0).await.unwrap().is_some());
        assert!(store.record_inbound(inbound("IN1"), T0).await.unwrap().is_none(), "stored once");
        let (stuck, _) = store.create_outgoing(out("crash", None), T0).await.unwrap();
        store.claim_next_outgoing(o, T0).await.unwrap();
        assert_eq!(store.fail_interrupted_sends(o, T0).await.unwrap(), 1);
        assert_eq!(store.message(system_scope(), stuck.id).await.unwrap().unwrap().status, MessageStatus::Failed);

        let filter = MessageFilter { direction: Some(Direction::In), ..Default::default() };
        assert_eq!(store.list_messages(owner_scope(ana), &filter, Page::default()).await.unwrap().total, 1);
        let failed = MessageFilter { status: Some(MessageStatus::Failed), outlet: Some(o), ..Default::default() };
        assert_eq!(store.list_messages(owner_scope(ana), &failed, Page::default()).await.unwrap().total, 3);
        assert_eq!(store.list_messages(owner_scope(bob), &MessageFilter::default(), Page::default()).await.unwrap().total, 0);
        store.close().await;
    }
}

/// Runs one statement straight on the database, as an operator (or an older build) would.
async fn exec(url: &str, sql: &str) {
    use sqlx::Connection;
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query(sql).execute(&mut c).await.expect("exec");
        c.close().await.expect("close");
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::query(sql).execute(&mut c).await.expect("exec");
        c.close().await.expect("close");
    }
}

both_backends! {
    async fn an_applied_migration_whose_text_changed_is_refused(db) {
        let store = open(db).await;
        assert_eq!(store.migrate().await.unwrap(), 0, "nothing left to apply");
        store.close().await;
        // A database from before checksums were kept: they are filled in, nothing re-runs.
        exec(&db.url, "UPDATE schema_migrations SET checksum = ''").await;
        let store = open(db).await;
        assert_eq!(store.migrate().await.unwrap(), 0);
        store.close().await;
        // The text of migration 2 as applied differs from this build's.
        exec(&db.url, "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 2").await;
        let err = Store::open(&db.url, &StoreOptions::default()).await.err().expect("refused");
        assert!(matches!(err, StoreError::MigrationChanged { version: 2, .. }), "{err}");
        assert!(err.to_string().contains("add a new migration"), "{err}");
    }
}
