/* Shared by report.c and report-graph.c; internal. */
#ifndef GV_INTEL_REPORT_H
#define GV_INTEL_REPORT_H

#include "intel/intel-private.h"

#include <jansson.h>
#include <time.h>

/* Unix time -> UTC day number; 0 means open (first / last day). */
int64_t report_day(int64_t t, bool end);
/* Runs q and appends one object per row; names as in report.c. */
int report_rows(struct gv_intel_store *st, const struct gv_sql_stmt *q,
		const struct gv_sql_val *p, size_t np,
		const char *const *names, size_t n, json_t *rows,
		const char **error_r);
int report_neighbors(struct gv_intel_store *st,
		     const struct gv_intel_report_query *q, json_t *doc,
		     const char **error_r);
int report_recommendations(struct gv_intel_store *st,
			   const struct gv_intel_report_query *q, json_t *rows,
			   const char **error_r);

/* alerts.c */
int report_alerts(struct gv_intel_store *st,
		  const struct gv_intel_report_query *q, json_t *rows,
		  const char **error_r);
int report_lookalikes(struct gv_intel_store *st,
		      const struct gv_intel_report_query *q, json_t *rows,
		      const char **error_r);

#endif
