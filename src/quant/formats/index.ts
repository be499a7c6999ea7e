// Importing this registers every built-in format family.
import './int.js';
import './pot.js';
import './float.js';
import './ocp.js';
import './mx.js';
