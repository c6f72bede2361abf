// The document around the events (spec §10): its format, the account (id and
// utc_offset) and the projects every project_id must name.
#include <set>
#include <string>

#include "attributes.h"
#include "ledger/builder.h"

namespace credits::ledger_reading {

CREDITS_COLD void LedgerBuilder::read_header(const Json& root) {
    ObjectReader reader(root, "", std::nullopt, errors_);
    reader.reject_unknown({"format", "account", "projects", "checkpoint", "events"});
    if (const auto format = reader.string("format", true, 64); format && *format != "easycoda.ledger/1") {
        reader.add_error(code::unsupported_format, "/format",
                         "The format \"" + *format + "\" is not supported; expected \"easycoda.ledger/1\".");
    }
    if (const Json* events = reader.get("events", true); events != nullptr && !events->is_array()) {
        reader.add_error(code::wrong_type, "/events", "\"events\" must be an array, found " + describe_type(*events) + ".");
    }
    if (const Json* account = reader.get("account", true)) {
        if (!account->is_object()) {
            reader.add_error(code::wrong_type, "/account", "\"account\" must be an object, found " + describe_type(*account) + ".");
        } else {
            ObjectReader account_reader(*account, "/account", std::nullopt, errors_);
            account_reader.reject_unknown({"id", "utc_offset"});
            ledger_.account_id = account_reader.id("id", true).value_or("");
            if (const auto offset = account_reader.string("utc_offset", false, 16)) {
                const std::optional<int> minutes = parse_utc_offset(*offset);
                if (!minutes) {
                    account_reader.add_error(code::invalid_offset, "/account/utc_offset",
                                             "utc_offset must look like \"+08:00\" or \"-05:30\", within +-14:00; found \"" +
                                                 *offset + "\".");
                }
                ledger_.utc_offset_minutes = minutes.value_or(0);
            }
        }
    }
    if (const Json* projects = reader.get("projects", false)) {
        if (!projects->is_array()) {
            reader.add_error(code::wrong_type, "/projects", "\"projects\" must be an array, found " + describe_type(*projects) + ".");
            return;
        }
        if (projects->size() > limits_.projects_max) {
            reader.add_error(code::too_many_events, "/projects",
                             "The ledger lists more than " + std::to_string(limits_.projects_max) + " projects.");
            return;
        }
        std::set<std::string> seen;
        for (std::size_t i = 0; i < projects->size(); ++i) {
            const std::string where = pointer_join("/projects", i);
            const Json& item = (*projects)[i];
            if (!item.is_object()) {
                errors_.add(code::wrong_type, std::nullopt, where, "A project must be an object, found " + describe_type(item) + ".");
                continue;
            }
            ObjectReader project_reader(item, where, std::nullopt, errors_);
            project_reader.reject_unknown({"id", "name"});
            const auto id = project_reader.id("id", true);
            const auto name = project_reader.string("name", true, 256);
            if (!id || !name) continue;
            if (!seen.insert(*id).second) {
                project_reader.add_error(code::duplicate_project, where + "/id", "The project id \"" + *id + "\" is listed twice.");
                continue;
            }
            ledger_.projects.push_back(Project{*id, *name});
        }
        sort_cold(ledger_.projects, [](const Project& a, const Project& b) { return a.id < b.id; });
    }
}

void LedgerBuilder::resolve_projects() {
    std::vector<std::uint32_t> final_index(project_refs_.size(), no_index);
    for (std::uint32_t i = 0; i < project_refs_.size(); ++i) {
        final_index[i] = ledger_.find_project(project_refs_.key(i));
        if (final_index[i] == no_index) {
            const EventRef& ref = project_refs_.first_ref(i);
            errors_.add(code::unknown_project, std::string(ref.event_id), event_pointer(ref.document_index) + "/project_id",
                        "The project \"" + project_refs_.key(i) + "\" is not listed in \"projects\".");
        }
    }
    if (!errors_.empty()) return;  // indices stay as interned; the ledger is rejected anyway
    for (UsageRecord& record : ledger_.usage) record.project = final_index[record.project];
    for (Task& task : ledger_.tasks) task.project = final_index[task.project];
    for (Session& session : ledger_.sessions) session.project = final_index[session.project];
}

}  // namespace credits::ledger_reading
