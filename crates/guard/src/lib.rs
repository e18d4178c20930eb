mod glob;
mod scope;
