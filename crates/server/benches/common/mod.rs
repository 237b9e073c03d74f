//! Seeding shared by the benchmarks.

use domain::{EngineKind, Label, PhoneNumber, Plan, Role, SystemClock};
use store::{NewDevice, NewOutlet, NewUser, Store};

/// One user (`email`, with `password_hash`) owning `n` outlets, each with a device on `engine`;
/// sim devices are recorded as paired so they connect at start.
pub async fn seed(store: &Store, email: &str, password_hash: &str, n: usize, engine: EngineKind) {
    let now = domain::Clock::now(&SystemClock);
    let email = domain::Email::parse(email).expect("email");
    let new = NewUser { email: &email, name: "", password_hash, role: Role::User, plan: Plan::Unlimited };
    let owner = store.create_user(new, now).await.expect("user").id;
    let city = Label::parse("Jakarta", 50).expect("city");
    for i in 0..n {
        let name = Label::parse(&format!("Outlet {i:05}"), 50).expect("name");
        let number = PhoneNumber::parse(&format!("0812{i:08}")).expect("number");
        let outlet = NewOutlet { owner, name: &name, city: &city, wa_number: &number };
        let outlet = store.create_outlet(outlet, now).await.expect("outlet");
        let paired = (engine == EngineKind::Sim).then(|| number.digits().to_string());
        let device = NewDevice { outlet_id: outlet.id, engine, paired_account: paired };
        store.create_device(device, now).await.expect("device");
    }
}
