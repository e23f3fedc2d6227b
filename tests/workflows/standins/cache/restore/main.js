require('../main.js');  // the restore half of the cache stand-in
