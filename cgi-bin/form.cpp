// form: a urlencoded form round trip. GET shows the empty form; a POST is validated field by field
// and answered either with the form again (status 422), every value kept and each error shown next
// to its field, or with a summary of what was accepted. It shows the library's typed getters with
// ranges, allowed lists for a select and checkboxes, UTF-8 validation, and escaping for text and
// for attribute values.
#include <algorithm>
#include <cgikit/cgikit.hpp>
#include <map>
#include <string>
#include <vector>

#include "page.hpp"

namespace {

using cgikit::escape_html;
using cgikit::escape_html_attribute;

// A name is a line, not an essay; a comment is a paragraph or two.
constexpr std::size_t kMaxNameBytes = 100;
constexpr std::size_t kMaxCommentBytes = 2000;
constexpr int kMinAge = 1;
constexpr int kMaxAge = 150;
constexpr std::string_view kColours[] = {"red", "green", "blue"};
constexpr std::string_view kTopics[] = {"server", "library", "apache"};

// Field name -> what is wrong with it.
using Errors = std::map<std::string, std::string, std::less<>>;

// Checks one free-text field: present (unless optional), valid UTF-8, at most `max_bytes`.
void check_text(const cgikit::Params& form, std::string_view field, std::size_t max_bytes,
                bool required, Errors& errors) {
    const auto value = form.get(field);
    if (!value || value->empty()) {
        if (required) errors.emplace(field, "Please fill this in.");
    } else if (!form.get_utf8(field)) {
        errors.emplace(field, "This is not valid UTF-8 text.");
    } else if (value->size() > max_bytes) {
        errors.emplace(field, "At most " + std::to_string(max_bytes) + " bytes, please.");
    }
}

Errors validate(const cgikit::Params& form) {
    Errors errors;
    check_text(form, "name", kMaxNameBytes, true, errors);
    check_text(form, "email", kMaxNameBytes, true, errors);
    if (!errors.contains("email")) {
        const std::string_view email = *form.get("email");
        const auto at = email.find('@');
        if (at == 0 || at == std::string_view::npos || at + 1 == email.size()) {
            errors.emplace("email", "An address looks like name@example.org.");
        }
    }
    // get<int>(name, min, max): absent, not a number and out of range are all "no value".
    if (!form.get<int>("age", kMinAge, kMaxAge)) {
        errors.emplace("age", "A whole number from 1 to 150.");
    }
    // one_of: exactly one value, from the list (a select cannot be trusted to send one of its
    // options: anybody can post anything).
    if (!form.one_of("colour", kColours)) errors.emplace("colour", "Pick one of the colours.");
    // all_of: any number of values (none is fine), each from the list.
    if (!form.all_of("topic", kTopics)) errors.emplace("topic", "Pick topics from the list.");
    check_text(form, "comment", kMaxCommentBytes, false, errors);
    return errors;
}

// The message for `field`, if any, as the element the page and its tests look for.
std::string error_for(const Errors& errors, std::string_view field) {
    const auto found = errors.find(field);
    if (found == errors.end()) return {};
    return "<p class=\"error\" id=\"" + std::string(field) + "-error\">" +
           escape_html(found->second) + "</p>\n";
}

// The value to put back into a field: what was posted, made valid UTF-8 (get_text) so that the
// page stays valid, and escaped for a quoted attribute.
std::string kept(const cgikit::Params& form, std::string_view field) {
    return escape_html_attribute(form.get_text(field).value_or(""));
}

std::string text_input(const cgikit::Params& form, const Errors& errors, std::string_view field,
                       std::string_view label, std::string_view type) {
    const std::string name(field);
    std::string html = "<div class=\"field\"><label for=\"" + name + "\">" + std::string(label) +
                       "</label>\n<input type=\"" + std::string(type) + "\" id=\"" + name +
                       "\" name=\"" + name + "\" value=\"" + kept(form, field) + "\"";
    if (errors.contains(field)) html += " aria-invalid=\"true\"";
    return html + ">\n" + error_for(errors, field) + "</div>\n";
}

std::string choices(const cgikit::Params& form, const Errors& errors) {
    std::string html = "<div class=\"field\"><label for=\"colour\">Favourite colour</label>\n";
    html += "<select id=\"colour\" name=\"colour\"><option value=\"\">choose…</option>";
    const auto colour = form.get("colour");
    for (std::string_view option : kColours) {
        html += "<option";
        if (colour == option) html += " selected";
        html += ">" + std::string(option) + "</option>";
    }
    html += "</select>\n" + error_for(errors, "colour") + "</div>\n";
    html += "<fieldset class=\"field\"><legend>Interested in</legend>\n";
    const auto chosen = form.get_all("topic");
    for (std::string_view topic : kTopics) {
        const bool checked = std::find(chosen.begin(), chosen.end(), topic) != chosen.end();
        html += "<label class=\"inline\"><input type=\"checkbox\" name=\"topic\" value=\"" +
                std::string(topic) + "\"" + (checked ? " checked" : "") + "> " +
                std::string(topic) + "</label>\n";
    }
    return html + error_for(errors, "topic") + "</fieldset>\n";
}

std::string form_html(const cgikit::Params& form, const Errors& errors) {
    std::string html;
    if (!errors.empty()) {
        html += "<p class=\"notice error\" id=\"summary\">Please correct the " +
                std::to_string(errors.size()) + " field(s) marked below.</p>\n";
    }
    // An empty action posts back to this very URL, wherever the program is mounted.
    html += "<form class=\"card\" method=\"post\" action=\"\">\n";
    html += text_input(form, errors, "name", "Name", "text");
    html += text_input(form, errors, "email", "E-mail", "text");
    html += text_input(form, errors, "age", "Age", "text");
    html += choices(form, errors);
    html +=
        "<div class=\"field\"><label for=\"comment\">Comment (optional)</label>\n"
        "<textarea id=\"comment\" name=\"comment\" rows=\"4\">" +
        escape_html(form.get_text("comment").value_or("")) + "</textarea>\n" +
        error_for(errors, "comment") + "</div>\n";
    return html + "<button type=\"submit\">Send</button>\n</form>\n";
}

std::string summary_html(const cgikit::Params& form) {
    std::string html =
        "<p class=\"notice ok\" id=\"summary\">Thank you! This is what arrived:</p>\n";
    html += "<dl class=\"card\" id=\"accepted\">\n";
    for (std::string_view field : {"name", "email", "age", "colour"}) {
        html +=
            "<dt>" + std::string(field) + "</dt><dd>" + escape_html(*form.get(field)) + "</dd>\n";
    }
    std::string topics;
    for (std::string_view topic : form.get_all("topic")) {
        topics += (topics.empty() ? "" : ", ") + std::string(topic);
    }
    html += "<dt>topics</dt><dd>" + (topics.empty() ? std::string("none") : topics) + "</dd>\n";
    html += "<dt>comment</dt><dd class=\"text\">" + escape_html(form.get("comment").value_or("")) +
            "</dd>\n</dl>\n<p><a href=\"\">Fill it in again</a></p>\n";
    return html;
}

void handle(cgikit::Request& request, cgikit::Response& response) {
    const cgikit::Params& form = request.form();  // urlencoded or multipart body, decoded
    std::string content;
    if (request.method() != "POST") {
        content =
            "<p>A urlencoded form: the library decodes it exactly as browsers encode it, and "
            "the program checks every value before it uses it.</p>\n" +
            form_html(form, {});
    } else if (const Errors errors = validate(form); !errors.empty()) {
        (void)response.set_status(422);  // RFC 9110 §15.5.21: understood, but not acceptable
        content = form_html(form, errors);
    } else {
        content = summary_html(form);
    }
    response.set_body("text/html; charset=utf-8", examples::page("A form", content));
}

}  // namespace

int main() {
    return cgikit::run(handle);
}
