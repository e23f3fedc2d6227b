// the restore half of the cache stand-in (actions/cache/restore saves nothing afterwards)
require('../main.js');
