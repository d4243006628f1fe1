/* The dashboard's files, compiled into the binary (controller/module.mk generates the arrays
 * from controller/dashboard/ and Debian's libjs-dygraphs at build time; docs/dashboard.md). */
#ifndef BARRAGE_CONTROLLER_DASHBOARD_ASSETS_H
#define BARRAGE_CONTROLLER_DASHBOARD_ASSETS_H

extern const unsigned char dashboard_html[];
extern const unsigned int dashboard_html_len;
extern const unsigned char dashboard_js[];
extern const unsigned int dashboard_js_len;
extern const unsigned char dashboard_dygraph_js[];
extern const unsigned int dashboard_dygraph_js_len;
extern const unsigned char dashboard_dygraph_css[];
extern const unsigned int dashboard_dygraph_css_len;

#endif
