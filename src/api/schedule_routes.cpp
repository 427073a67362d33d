// POST /api/v1/backup/schedule/preview: validate a schedule as backup create
// does and return its next runs, so UI and CLI never compute cron.
#include "api/fields.h"
#include "api/routes.h"
#include "api/schedule_input.h"

namespace kbr::api {

namespace bj = boost::json;

namespace {

Reply Preview(Request& req, Services& s) {
  auto body = ParseBody(req);
  if (!body.ok()) return Error(body.status());
  Fields f(*body);
  auto sched_obj = f.Object("schedule");
  if (!sched_obj.ok()) return Error(sched_obj.status());
  auto spec = ReadSchedule(*sched_obj, true);
  if (!spec.ok()) return Error(spec.status());
  auto count = f.OptionalInt("count", 5, 1, 100);
  if (!count.ok()) return Error(count.status());
  auto from_text = f.Optional("from", "", 64);
  if (!from_text.ok()) return Error(from_text.status());
  TimePoint from = s.clock->Now();
  if (!from_text->empty() && !ParseRfc3339(*from_text, &from)) {
    return Error(Status::InvalidArgument("from: '" + *from_text + "' is not an RFC 3339 instant"));
  }
  auto runs = NextRunsOf(*spec, from, static_cast<int>(*count));
  if (!runs.ok()) return Error(runs.status().Annotate("schedule"));
  bj::array next;
  for (auto t : *runs) next.push_back(bj::value(FormatRfc3339(t)));
  return Ok(bj::object{{"cron", spec->cron},
                       {"timeZone", spec->time_zone},
                       {"description", DescribeSchedule(*spec)},
                       {"nextRuns", std::move(next)}});
}

}  // namespace

void AddScheduleRoutes(Router& router, Services& s) {
  router.Add({.method = "POST",
              .pattern = "/api/v1/backup/schedule/preview",
              .handler = [&s](Request& r) { return Preview(r, s); },
              .summary = "Validate a schedule and list its next runs",
              .tag = "Backup",
              .request_schema = "SchedulePreviewInput",
              .response_schema = "SchedulePreview"});
}

}  // namespace kbr::api
