// SPDX-License-Identifier: AGPL-3.0-only
//! Dragging messages onto a folder moves them there, as in a desktop mail program: the row
//! dragged, or the whole selection when the row dragged is selected. It is the list's own
//! "Move" action, with the same checks. Without JavaScript the "Move to" control does it.

use leptos::prelude::*;

use crate::api::mail::MailAct;

/// Listens, while a list is shown, for messages dragged onto a folder of the folder column.
pub fn follow_drags(act: ServerAction<MailAct>, folder: String) {
    #[cfg(feature = "hydrate")]
    {
        use std::{cell::RefCell, rc::Rc};

        use wasm_bindgen::JsCast;

        // The messages being dragged (ids), from `dragstart` to `drop`.
        let dragged: Rc<RefCell<Vec<String>>> = Rc::default();
        let closest = |ev: &web_sys::Event, selector: &str| -> Option<web_sys::Element> {
            ev.target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.closest(selector).ok().flatten())
        };
        let start = {
            let dragged = dragged.clone();
            window_event_listener(leptos::ev::dragstart, move |ev| {
                let Some(row) = closest(&ev, "#messages li[data-id]") else {
                    return;
                };
                let Some(id) = row.get_attribute("data-id") else {
                    return;
                };
                let ticked = |row: &web_sys::Element| {
                    row.query_selector("input[type=checkbox]:checked")
                        .ok()
                        .flatten()
                        .is_some()
                };
                let ids = if ticked(&row) {
                    selected_ids()
                } else {
                    vec![id.clone()]
                };
                if let Some(data) = ev.data_transfer() {
                    let _ = data.set_data("text/plain", &ids.join(" "));
                    data.set_effect_allowed("move");
                }
                *dragged.borrow_mut() = ids;
            })
        };
        let over = {
            let dragged = dragged.clone();
            window_event_listener(leptos::ev::dragover, move |ev| {
                if dragged.borrow().is_empty() {
                    return;
                }
                if let Some(target) = closest(&ev, "#folders a[data-folder]") {
                    ev.prevent_default();
                    let _ = target.class_list().add_1("drop-target");
                }
            })
        };
        let leave = window_event_listener(leptos::ev::dragleave, move |ev| {
            if let Some(target) = closest(&ev, "#folders a[data-folder]") {
                let _ = target.class_list().remove_1("drop-target");
            }
        });
        let end = {
            let dragged = dragged.clone();
            window_event_listener(leptos::ev::dragend, move |_| dragged.borrow_mut().clear())
        };
        let drop = window_event_listener(leptos::ev::drop, move |ev| {
            let ids = std::mem::take(&mut *dragged.borrow_mut());
            let Some(target) = closest(&ev, "#folders a[data-folder]") else {
                return;
            };
            ev.prevent_default();
            let _ = target.class_list().remove_1("drop-target");
            let to = target.get_attribute("data-folder").unwrap_or_default();
            if ids.is_empty() || to.is_empty() || to == folder {
                return;
            }
            act.dispatch(MailAct {
                folder: folder.clone(),
                action: "move".into(),
                ids,
                to,
                next: String::new(),
            });
        });
        let handles = send_wrapper::SendWrapper::new((start, over, leave, end, drop));
        on_cleanup(move || {
            let (start, over, leave, end, drop) = handles.take();
            start.remove();
            over.remove();
            leave.remove();
            end.remove();
            drop.remove();
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (act, folder);
}

/// The ids of the rows ticked in the list.
#[cfg(feature = "hydrate")]
fn selected_ids() -> Vec<String> {
    use wasm_bindgen::JsCast;

    let Ok(boxes) = document().query_selector_all("#mail-actions input[type=checkbox]:checked")
    else {
        return Vec::new();
    };
    (0..boxes.length())
        .filter_map(|i| boxes.item(i))
        .filter_map(|b| b.dyn_into::<web_sys::HtmlInputElement>().ok())
        .map(|b| b.value())
        .collect()
}
