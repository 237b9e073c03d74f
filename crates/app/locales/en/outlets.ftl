# The outlets page: add, edit and delete outlets.

outlets-title = Outlets
outlets-add-heading = Add an outlet
outlets-name = Name
outlets-name-placeholder = Jakarta Pusat
outlets-city = City
outlets-city-placeholder = Jakarta
outlets-wa-number = WhatsApp number
outlets-wa-number-placeholder = 0812… or +62 812…
outlets-owner-id = Owner user id
outlets-owner-id-placeholder = yours if empty
outlets-add = Add outlet
outlets-search = Search name, city or number
outlets-col-outlet = Outlet
outlets-col-city = City
outlets-col-wa = WA No
outlets-col-owner = Owner
outlets-col-actions = Actions
outlets-empty = No outlets yet. Add your first branch above.

js-outlets-edit = Edit
js-outlets-edit-title = Change outlet "{ $name }"
js-outlets-delete = Delete
js-outlets-prompt-name = Outlet name
js-outlets-prompt-wa-number = WhatsApp number
js-outlets-saved = Outlet saved.
js-outlets-delete-confirm = Delete outlet "{ $name }" ({ $number })? This cannot be undone.
js-outlets-deleted = Outlet deleted.
js-outlets-added = Outlet "{ $name }" added with number { $number }.
